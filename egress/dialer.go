package egress

import "net"

// NewDialer returns a new dialer whose every connection is checked by the
// egress guard, configured by o (AllowPrivateNetworks, Allow and
// ConnectTimeout; the HTTP options do not apply). It is for code that needs
// raw connections rather than HTTP requests, such as the tunnels the
// headless browser's proxy opens. Names are resolved by the dialer, so the
// address checked is the address connected to. The dialer is safe for
// concurrent use.
func NewDialer(o Options) *net.Dialer {
	return newDialer(o, guardConfig{})
}
