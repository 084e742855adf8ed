"""What the country data gets wrong or cannot know, written by hand: short names,
the aliases people actually type, and display regions.

Kept apart from the code that builds the dataset from pycountry and tzdata, so that a
new alias is a one-line data change.
"""

from __future__ import annotations

REGIONS = ("Africa", "Americas", "Antarctica", "Asia", "Europe", "Oceania")

# Short names where pycountry's common name is still the ISO "Name, qualifier" form
# or is a mouthful nobody types or wants to read in a digest header.
NAMES = {
    "BN": "Brunei",
    "CD": "DR Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "MF": "Saint Martin",
    "PS": "Palestine",
    "RU": "Russia",
    "SX": "Sint Maarten",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
}

# What people type besides the ISO names: old and colloquial names, parts that
# stand for the whole, and the major countries' own names for themselves.
ALIASES = {
    "AE": ("UAE", "Emirates"),
    "AT": ("Österreich",),
    "BA": ("Bosnia",),
    "BE": ("Belgique", "België"),
    "BQ": ("Bonaire",),
    "BR": ("Brasil",),
    "CD": ("DRC", "Congo-Kinshasa", "Democratic Republic of the Congo"),
    "CG": ("Congo-Brazzaville",),
    "CH": ("Schweiz", "Suisse", "Svizzera"),
    "CI": ("Ivory Coast",),
    "CN": ("中国", "Zhongguo"),
    "CV": ("Cape Verde",),
    "CZ": ("Czech Republic", "Česko"),
    "DE": ("Deutschland",),
    "DK": ("Danmark",),
    "ES": ("España",),
    "FI": ("Suomi",),
    "FK": ("Falklands",),
    "GB": ("UK", "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "GR": ("Ελλάδα",),
    "HR": ("Hrvatska",),
    "HU": ("Magyarország",),
    "IE": ("Éire", "Republic of Ireland"),
    "IN": ("Bharat", "भारत"),
    "IR": ("Persia",),
    "IT": ("Italia",),
    "JP": ("Nippon", "Nihon", "日本"),
    "KP": ("DPRK",),
    "KR": ("Korea", "Republic of Korea", "한국", "대한민국"),
    "MK": ("Macedonia",),
    "MM": ("Burma",),
    "MO": ("Macau",),
    "MX": ("México",),
    "NL": ("Holland", "Nederland"),
    "NO": ("Norge",),
    "PL": ("Polska",),
    "PS": ("Palestine",),
    "RU": ("Россия",),
    "SA": ("Saudi",),
    "SE": ("Sverige",),
    "SH": ("Saint Helena",),
    "SZ": ("Swaziland",),
    "TH": ("ประเทศไทย",),
    "TL": ("East Timor",),
    "TR": ("Turkey",),
    "UA": ("Україна",),
    "US": ("US", "U.S.", "U.S.A.", "America", "United States of America"),
    "VA": ("Vatican", "Holy See"),
    "VN": ("Việt Nam",),
}

# zone.tab lists a country's zones in an order that "makes some geographical sense"
# and puts "the most populous timezones first" where it can (zone1970.tab's header),
# so the prefix of the first zone names the continent of the country's core:
# Europe/Madrid before Atlantic/Canary, Europe/Kaliningrad before Asia/Omsk.
REGION_BY_ZONE_PREFIX = {
    "Africa": "Africa",
    "America": "Americas",
    "Arctic": "Europe",
    "Asia": "Asia",
    "Australia": "Oceania",
    "Europe": "Europe",
    "Pacific": "Oceania",
}

# Places whose first zone is oceanic (Atlantic/, Indian/), polar (Antarctica/) or
# which have no zone at all (BV, HM): the region follows the UN M49 geoscheme.
# There is no "Middle East": M49 puts Egypt in Africa and the Gulf in Asia, and
# zone.tab agrees, so Türkiye (Europe/Istanbul) is Europe and Cyprus is Asia.
REGION_OVERRIDES = {
    "AQ": "Antarctica",
    "BM": "Americas",
    "BV": "Americas",
    "CC": "Oceania",
    "CV": "Africa",
    "CX": "Oceania",
    "FK": "Americas",
    "FO": "Europe",
    "GS": "Americas",
    "HM": "Oceania",
    "IO": "Africa",
    "IS": "Europe",
    "KM": "Africa",
    "MG": "Africa",
    "MU": "Africa",
    "MV": "Asia",
    "RE": "Africa",
    "SC": "Africa",
    "SH": "Africa",
    "TF": "Africa",
    "YT": "Africa",
}
