package saft

import (
	"slices"
	"strings"

	"bilag/connectors"
)

// grouping is an account's GroupingCategory and GroupingCode, which SAF-T
// Financial 1.30 makes mandatory (it dropped StandardAccountID: "the only
// valid mapping option now is mapping to the business statement",
// SAF-T_Financial_1.3/About_SAF-T_Financial_v.1.3.txt). The code list is
// Skatteetaten's næringsspesifikasjon
// (SAF-T_Financial_1.3/Grouping Category Code/CSV/naeringsspesifikasjon.csv).
//
// Bilag's data is thin here: no upstream gives the mapping, so it is
// inferred from the account number's NS 4102 two-digit class (the
// Norwegian standard chart most companies follow). An account whose
// number is itself a code of its category keeps it; any other gets the
// category's catch-all ("other …") code. A company whose chart is its own
// must be mapped by its accountant; the file is then still valid but the
// grouping is a guess.
type grouping struct{ category, code string }

// classTable maps the first two digits of an NS 4102 account number to its
// category, catch-all code and the category's own codes. Write builds it
// once per file (no package state).
func classTable() map[string]class {
	m := map[string]class{}
	for _, c := range []class{
		{"10 11 12", "balanseverdiForAnleggsmiddel", "1290", "1000 1020 1070 1080 1101 1102 1103 1104 1105 1115 1117 1120 1130 1140 1150 1160 1180 1205 1221 1225 1238 1239 1280 1290 1295 1296 1298"},
		{"13", "balanseverdiForAnleggsmiddel", "1390", "1312 1313 1320 1331 1332 1340 1350 1360 1370 1380 1390 1395"},
		{"14 15 16 17 18 19", "balanseverdiForOmloepsmiddel", "1570", "1400 1401 1470 1490 1500 1501 1530 1560 1565 1570 1780 1800 1810 1830 1840 1880 1895 1900 1920 1950"},
		{"20", "egenkapital", "2000", "2000 2010 2015 2020 2030 2041 2042 2043 2045 2050 2055 2080 2095 2096 2097 2098"},
		{"21 22", "langsiktigGjeld", "2290", "2100 2120 2130 2160 2180 2185 2200 2210 2220 2250 2260 2280 2290"},
		{"23 24 25 26 27 28 29", "kortsiktigGjeld", "2990", "2310 2320 2330 2380 2400 2460 2470 2500 2510 2600 2740 2770 2790 2800 2900 2910 2920 2949 2950 2970 2980 2990"},
		{"30 31 32 33", "salgsinntekt", "3000", "3000 3001 3002 3003 3004 3005 3006 3007 3008 3100 3200 3300"},
		{"34 35 36 37 38 39", "annenDriftsinntekt", "3900", "3400 3410 3500 3600 3650 3695 3700 3710 3850 3870 3880 3885 3886 3890 3895 3900 3910"},
		{"40 41 42 43 44 45 46 47 48 49", "varekostnad", "4005", "4001 4002 4003 4004 4005 4007 4008 4295 4500 4995"},
		{"50 51 52 53 54 55 56 57 58 59", "loennskostnad", "5000", "5000 5300 5400 5420 5600 5900 5950"},
		{"60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79", "annenDriftskostnad", "7700", "6000 6001 6002 6004 6050 6051 6052 6053 6054 6100 6110 6120 6130 6140 6200 6300 6340 6350 6395 6400 6440 6500 6600 6695 6700 6750 6751 6752 6995 6998 7000 7020 7040 7080 7099 7155 7165 7295 7330 7350 7370 7400 7420 7440 7490 7500 7501 7502 7503 7565 7600 7650 7651 7700 7701 7830 7860 7880 7885 7886 7890 7897 7910 7911"},
		{"80", "finansinntekt", "8079", "8005 8030 8050 8054 8059 8060 8074 8075 8079 8080 8090 8091"},
		{"81", "finanskostnad", "8179", "8100 8105 8115 8120 8130 8150 8154 8159 8160 8174 8175 8179"},
		{"82 83 84 85 86 87 88 89", "skattekostnad", "8300", "8300 8321 8322 8323 8324"},
	} {
		for _, p := range strings.Fields(c.prefixes) {
			m[p] = c
		}
	}
	return m
}

type class struct{ prefixes, category, other, codes string }

// byKind is the class for an account whose number says nothing (not NS
// 4102 digits), chosen by what the upstream says it is.
func byKind(kind connectors.AccountKind) string {
	switch kind {
	case connectors.AccountAsset:
		return "15"
	case connectors.AccountEquity:
		return "20"
	case connectors.AccountIncome:
		return "39"
	case connectors.AccountExpense:
		return "77"
	}
	return "29"
}

func groupingOf(classes map[string]class, number string, kind connectors.AccountKind) grouping {
	c, ok := classes[prefix(number)]
	if !ok {
		c = classes[byKind(kind)]
	}
	if len(number) == 4 && slices.Contains(strings.Fields(c.codes), number) {
		return grouping{c.category, number}
	}
	return grouping{c.category, c.other}
}

func prefix(number string) string {
	if len(number) < 2 || number[0] < '0' || number[0] > '9' || number[1] < '0' || number[1] > '9' {
		return ""
	}
	return number[:2]
}
