package egress

import (
	"context"
	"net"
)

// NewDialContext returns a dial function whose every connection is checked
// by the egress guard, configured by o (AllowPrivateNetworks, Allow,
// AllowHosts and ConnectTimeout; the HTTP options do not apply), exactly as
// the connections of [NewTransport] are. It is for code that needs raw
// connections rather than HTTP requests, such as the tunnels the headless
// browser's proxy opens. Names are resolved by the dialer, so the address
// checked is the address connected to. The function is safe for concurrent
// use.
func NewDialContext(o Options) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return allowHosts(o, dialNumeric(newDialer(o, guardConfig{}).DialContext))
}
