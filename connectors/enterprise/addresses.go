package enterprise

import "net/netip"

// specialRange is one range of IANA's special-purpose address registries.
type specialRange struct {
	prefix string
	// name is the range's name in its registry.
	name string
	// embeds is, for an IPv6 range whose addresses carry an IPv4 address,
	// the byte where it starts; such an address is judged by that IPv4
	// address, which is where the traffic goes. 0: none.
	embeds int
}

// specialPurpose is the IANA IPv4 Special-Purpose Address Registry and
// the IPv6 one (as of 2025), plus IPv4 multicast. Every range is refused,
// including the few the registries call globally reachable (the PCP and
// TURN anycast addresses, AMT, AS112): those are anycast services and DNS
// sinks, never a customer's Enterprise server. A function, not a package
// variable, so that nothing is built at start and nothing can change it.
func specialPurpose() []specialRange {
	return []specialRange{
		// IPv4 Special-Purpose Address Registry (RFC 6890 and updates).
		{"0.0.0.0/8", "This network", 0},
		{"0.0.0.0/32", "This host on this network", 0},
		{"10.0.0.0/8", "Private-Use", 0},
		{"100.64.0.0/10", "Shared Address Space", 0},
		{"127.0.0.0/8", "Loopback", 0},
		{"169.254.0.0/16", "Link Local", 0},
		{"172.16.0.0/12", "Private-Use", 0},
		{"192.0.0.0/24", "IETF Protocol Assignments", 0},
		{"192.0.0.0/29", "IPv4 Service Continuity Prefix", 0},
		{"192.0.0.8/32", "IPv4 dummy address", 0},
		{"192.0.0.9/32", "Port Control Protocol Anycast", 0},
		{"192.0.0.10/32", "Traversal Using Relays around NAT Anycast", 0},
		{"192.0.0.170/32", "NAT64/DNS64 Discovery", 0},
		{"192.0.0.171/32", "NAT64/DNS64 Discovery", 0},
		{"192.0.2.0/24", "Documentation (TEST-NET-1)", 0},
		{"192.31.196.0/24", "AS112-v4", 0},
		{"192.52.193.0/24", "AMT", 0},
		{"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", 0},
		{"192.168.0.0/16", "Private-Use", 0},
		{"192.175.48.0/24", "Direct Delegation AS112 Service", 0},
		{"198.18.0.0/15", "Benchmarking", 0},
		{"198.51.100.0/24", "Documentation (TEST-NET-2)", 0},
		{"203.0.113.0/24", "Documentation (TEST-NET-3)", 0},
		{"240.0.0.0/4", "Reserved", 0},
		{"255.255.255.255/32", "Limited Broadcast", 0},
		// IPv4 Multicast Address Space Registry.
		{"224.0.0.0/4", "Multicast", 0},

		// IPv6 Special-Purpose Address Registry (RFC 6890 and updates).
		{"::1/128", "Loopback Address", 0},
		{"::/128", "Unspecified Address", 0},
		{"::ffff:0:0/96", "IPv4-mapped Address", 12},
		{"64:ff9b::/96", "IPv4-IPv6 Translat.", 12},
		// The local-use NAT64 prefix: where it leads depends on the local
		// translator (and the IPv4 address's place on its prefix length),
		// so it is refused outright.
		{"64:ff9b:1::/48", "IPv4-IPv6 Translat.", 0},
		{"100::/64", "Discard-Only Address Block", 0},
		{"100:0:0:1::/64", "Dummy IPv6 Prefix", 0},
		{"2001::/23", "IETF Protocol Assignments", 0},
		{"2001::/32", "TEREDO", 0},
		{"2001:1::1/128", "Port Control Protocol Anycast", 0},
		{"2001:1::2/128", "Traversal Using Relays around NAT Anycast", 0},
		{"2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", 0},
		{"2001:2::/48", "Benchmarking", 0},
		{"2001:3::/32", "AMT", 0},
		{"2001:4:112::/48", "AS112-v6", 0},
		{"2001:10::/28", "Deprecated (previously ORCHID)", 0},
		{"2001:20::/28", "ORCHIDv2", 0},
		{"2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", 0},
		{"2001:db8::/32", "Documentation", 0},
		{"2002::/16", "6to4", 2},
		{"2620:4f:8000::/48", "Direct Delegation AS112 Service", 0},
		{"3fff::/20", "Documentation", 0},
		{"5f00::/16", "Segment Routing (SRv6) SIDs", 0},
		{"fc00::/7", "Unique-Local", 0},
		{"fe80::/10", "Link-Local Unicast", 0},
	}
}

// globalUnicast6 is the only Global Unicast block of the IANA IPv6
// Address Space registry: everything else (the rest of 0000::/8,
// deprecated site-local fec0::/10, multicast ff00::/8, blocks reserved by
// the IETF) is no public server's address.
const globalUnicast6 = "2000::/3"

// blocked reports whether ip is no public server's address: any range of
// the special-purpose registries, IPv4 multicast, or IPv6 outside global
// unicast. An IPv6 address that carries an IPv4 one (IPv4-mapped, NAT64,
// 6to4) is judged by the IPv4 address, which is where it leads; a zone
// changes nothing.
func blocked(ip netip.Addr) bool {
	ip = ip.WithZone("")
	if !ip.IsValid() {
		return true
	}
	for _, r := range specialPurpose() {
		if !netip.MustParsePrefix(r.prefix).Contains(ip) {
			continue
		}
		if r.embeds == 0 {
			return true
		}
		b := ip.As16()
		return blocked(netip.AddrFrom4([4]byte(b[r.embeds : r.embeds+4])))
	}
	return ip.Is6() && !netip.MustParsePrefix(globalUnicast6).Contains(ip)
}
