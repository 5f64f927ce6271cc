package enterprise

import (
	"net/netip"
	"testing"
)

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestBlockedSpecialPurpose: every range of IANA's IPv4 and IPv6
// Special-Purpose Address Registries (and multicast, and IPv6 outside the
// global unicast space) is refused, its first and last address alike.
// Written out here on their own, by the registries' names, so that a range
// left out of blocked's table fails.
func TestBlockedSpecialPurpose(t *testing.T) {
	ranges := []struct{ prefix, name string }{
		// IPv4 Special-Purpose Address Registry.
		{"0.0.0.0/8", "This network"},
		{"0.0.0.0/32", "This host on this network"},
		{"10.0.0.0/8", "Private-Use"},
		{"100.64.0.0/10", "Shared Address Space"},
		{"127.0.0.0/8", "Loopback"},
		{"169.254.0.0/16", "Link Local"},
		{"172.16.0.0/12", "Private-Use"},
		{"192.0.0.0/24", "IETF Protocol Assignments"},
		{"192.0.0.0/29", "IPv4 Service Continuity Prefix"},
		{"192.0.0.8/32", "IPv4 dummy address"},
		{"192.0.0.9/32", "Port Control Protocol Anycast"},
		{"192.0.0.10/32", "Traversal Using Relays around NAT Anycast"},
		{"192.0.0.170/32", "NAT64/DNS64 Discovery"},
		{"192.0.0.171/32", "NAT64/DNS64 Discovery"},
		{"192.0.2.0/24", "Documentation (TEST-NET-1)"},
		{"192.31.196.0/24", "AS112-v4"},
		{"192.52.193.0/24", "AMT"},
		{"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)"},
		{"192.168.0.0/16", "Private-Use"},
		{"192.175.48.0/24", "Direct Delegation AS112 Service"},
		{"198.18.0.0/15", "Benchmarking"},
		{"198.51.100.0/24", "Documentation (TEST-NET-2)"},
		{"203.0.113.0/24", "Documentation (TEST-NET-3)"},
		{"240.0.0.0/4", "Reserved"},
		{"255.255.255.255/32", "Limited Broadcast"},
		// IPv4 Multicast Address Space Registry.
		{"224.0.0.0/4", "Multicast"},

		// IPv6 Special-Purpose Address Registry.
		{"::1/128", "Loopback Address"},
		{"::/128", "Unspecified Address"},
		{"::ffff:0:0/96", "IPv4-mapped Address"},
		{"64:ff9b::/96", "IPv4-IPv6 Translat."},
		{"64:ff9b:1::/48", "IPv4-IPv6 Translat."},
		{"100::/64", "Discard-Only Address Block"},
		{"100:0:0:1::/64", "Dummy IPv6 Prefix"},
		{"2001::/23", "IETF Protocol Assignments"},
		{"2001::/32", "TEREDO"},
		{"2001:1::1/128", "Port Control Protocol Anycast"},
		{"2001:1::2/128", "Traversal Using Relays around NAT Anycast"},
		{"2001:1::3/128", "DNS-SD Service Registration Protocol Anycast"},
		{"2001:2::/48", "Benchmarking"},
		{"2001:3::/32", "AMT"},
		{"2001:4:112::/48", "AS112-v6"},
		{"2001:10::/28", "Deprecated (previously ORCHID)"},
		{"2001:20::/28", "ORCHIDv2"},
		{"2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix"},
		{"2001:db8::/32", "Documentation"},
		{"2002::/16", "6to4"},
		{"2620:4f:8000::/48", "Direct Delegation AS112 Service"},
		{"3fff::/20", "Documentation"},
		{"5f00::/16", "Segment Routing (SRv6) SIDs"},
		{"fc00::/7", "Unique-Local"},
		{"fe80::/10", "Link-Local Unicast"},
		// IPv6 Address Space: outside 2000::/3 nothing is global unicast.
		{"::/96", "IPv4-compatible (deprecated)"},
		{"4000::/3", "Reserved by IETF"},
		{"fec0::/10", "Site-local (deprecated)"},
		{"ff00::/8", "Multicast"},
	}
	for _, r := range ranges {
		t.Run(r.prefix+" "+r.name, func(t *testing.T) {
			p := netip.MustParsePrefix(r.prefix)
			for _, ip := range []netip.Addr{p.Addr(), lastAddr(p)} {
				if !blocked(ip) {
					t.Errorf("blocked(%s) = false, want true (%s, %s)", ip, r.prefix, r.name)
				}
			}
		})
	}
}

// TestBlockedEmbeddedIPv4: an IPv6 address that carries an IPv4 one
// (IPv4-mapped, the NAT64 well-known prefix, 6to4) is judged by the IPv4
// address it leads to; the local-use NAT64 prefix is refused outright
// (where it leads depends on the local translator); public addresses of
// either family pass, a zone changes nothing.
func TestBlockedEmbeddedIPv4(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"::ffff:10.0.0.1", true},
		{"::ffff:192.0.2.1", true},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::10.0.0.1", true},
		{"64:ff9b::127.0.0.1", true},
		{"64:ff9b::192.0.2.1", true},
		{"64:ff9b::203.0.113.9", true},
		{"64:ff9b::8.8.8.8", false},
		{"64:ff9b:1::808:808", true},
		{"64:ff9b:1:0:0:0:a00:1", true},
		{"2002:a00:1::1", true},         // 10.0.0.1
		{"2002:c000:201::1", true},      // 192.0.2.1
		{"2002:7f00:1::1", true},        // 127.0.0.1
		{"2002:a9fe:a9fe::1", true},     // 169.254.169.254
		{"2002:808:808::1", false},      // 8.8.8.8
		{"::8.8.8.8", true},             // IPv4-compatible, deprecated
		{"fe80::1%eth0", true},          // link-local with a zone
		{"2a00:1450:4001::1", false},    // a public IPv6 address
		{"2001:4860:4860::8888", false}, // outside 2001::/23
		{"2001:200::1", false},          // just past 2001::/23
		{"2001:db9::1", false},          // just past the documentation /32
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"192.0.1.255", false},
		{"192.0.3.0", false},
		{"198.51.99.255", false},
		{"198.51.101.0", false},
		{"203.0.112.255", false},
		{"203.0.114.0", false},
		{"223.255.255.255", false},
		{"100.63.255.255", false},
		{"100.128.0.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := blocked(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("blocked(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
	if !blocked(netip.Addr{}) {
		t.Error("the zero address is not blocked")
	}
}
