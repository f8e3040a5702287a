package egress

import (
	"net/netip"
	"testing"
)

func TestParseHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host    string
		want    string // "" = not an address
		numeric bool
		bad     bool
	}{
		{host: "example.com"},
		{host: "example.com."},
		{host: "1password.com"},
		{host: "127.0.0.1", want: "127.0.0.1", numeric: true},
		{host: "2130706433", want: "127.0.0.1", numeric: true},
		{host: "0x7f000001", want: "127.0.0.1", numeric: true},
		{host: "0X7F000001", want: "127.0.0.1", numeric: true},
		{host: "127.1", want: "127.0.0.1", numeric: true},
		{host: "127.0.1", want: "127.0.0.1", numeric: true},
		{host: "0177.0.0.1", want: "127.0.0.1", numeric: true},
		{host: "017700000001", want: "127.0.0.1", numeric: true},
		{host: "0x7f.1", want: "127.0.0.1", numeric: true},
		{host: "10.1", want: "10.0.0.1", numeric: true},
		{host: "169.254.43518", want: "169.254.169.254", numeric: true},
		{host: "127.0.0.1.", want: "127.0.0.1", numeric: true},
		{host: "0", want: "0.0.0.0", numeric: true},
		{host: "0x", want: "0.0.0.0", numeric: true},
		{host: "[::1]", want: "::1", numeric: true},
		{host: "::ffff:127.0.0.1", want: "127.0.0.1", numeric: true},
		{host: "4294967296", numeric: true, bad: true},
		{host: "256.0.0.1", numeric: true, bad: true},
		{host: "1.2.3.4.5", numeric: true, bad: true},
		{host: "09.0.0.1", numeric: true, bad: true},
		{host: "foo.123", numeric: true, bad: true},
		{host: "1.2.3.0x1g", numeric: false},
	}
	for _, tt := range tests {
		addr, numeric, err := ParseHost(tt.host)
		if numeric != tt.numeric || (err != nil) != tt.bad {
			t.Errorf("ParseHost(%q) = %v, numeric %v, err %v; want numeric %v, bad %v", tt.host, addr, numeric, err, tt.numeric, tt.bad)
			continue
		}
		if tt.want != "" && addr != netip.MustParseAddr(tt.want) {
			t.Errorf("ParseHost(%q) = %v, want %s", tt.host, addr, tt.want)
		}
		if FixedHost(tt.host) != tt.numeric {
			t.Errorf("FixedHost(%q) = %v, want %v", tt.host, !tt.numeric, tt.numeric)
		}
	}
}
