package egress

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// blockedError is what every refusal returns: its text never names the
// address refused (users must not learn what an internal name resolves to),
// while errors.Is still finds ErrBlocked and the guard's own error in it.
type blockedError struct{ cause error }

func (e *blockedError) Error() string   { return ErrBlocked.Error() }
func (e *blockedError) Unwrap() []error { return []error{ErrBlocked, e.cause} }

func blocked(cause error) error {
	var be *blockedError
	if errors.As(cause, &be) {
		return be
	}
	return &blockedError{cause: cause}
}

// ParseHost reads host as an IP address the way browsers and many proxies
// do (the WHATWG URL rules): besides ordinary literals, a host whose last
// label is a number is an IPv4 address in one to four parts, each decimal,
// octal (leading 0) or hex (0x), so 2130706433, 0x7f000001, 0177.0.0.1 and
// 127.1 are all 127.0.0.1. numeric reports that host is such a spelling (or a
// literal); err is set when it is numeric but no valid address, which no
// browser would connect to either. A name is (netip.Addr{}, false, nil).
func ParseHost(host string) (addr netip.Addr, numeric bool, err error) {
	h := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), true, nil
	}
	if !endsInNumber(strings.ToLower(h)) {
		return netip.Addr{}, false, nil
	}
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, true, fmt.Errorf("host %q is a number with too many parts", host)
	}
	var nums []uint64
	for _, p := range parts {
		n, ok := parseIPv4Part(p)
		if !ok {
			return netip.Addr{}, true, fmt.Errorf("host %q is not a valid numeric address", host)
		}
		nums = append(nums, n)
	}
	last := nums[len(nums)-1]
	if last >= uint64(math.Pow(256, float64(5-len(nums)))) {
		return netip.Addr{}, true, fmt.Errorf("host %q is out of the IPv4 range", host)
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, true, fmt.Errorf("host %q is out of the IPv4 range", host)
		}
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, nil
}

// parseIPv4Part reads one part of a numeric host: 0x… hex, 0… octal, else
// decimal. An empty part is not a number.
func parseIPv4Part(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		p, base = p[2:], 16
		if p == "" {
			return 0, true
		}
	case len(p) >= 2 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 64)
	return n, err == nil
}

// FixedHost reports whether the host of a URL names one address for good:
// an IP literal or a numeric spelling. A refusal of such a host is final;
// a refusal of a name may change with the name's next DNS answer.
func FixedHost(host string) bool {
	_, numeric, _ := ParseHost(host)
	return numeric
}
