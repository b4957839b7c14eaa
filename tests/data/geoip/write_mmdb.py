"""Writes `test-city.mmdb`, the small GeoIP2-City-shaped database of the `iplocation` tests.

Run with the venv of `make pydeps` (it has mmdb-writer):
    target/pyenv/bin/python tests/data/geoip/write_mmdb.py
The output is committed, so the tests need no Python; rerun this only to change the data.
The networks are made up for the tests (real cities, not real allocations).
"""

import pathlib

from mmdb_writer import MMDBWriter, MmdbF64, MmdbU16, MmdbU32
from netaddr import IPSet


def city(geoname_id, name, region, region_code, country, country_code, continent,
         continent_code, lat, lon, tz, metro=None):
    """One record with the fields of a GeoIP2 City database that `iplocation` reads."""
    names = lambda en: {"en": en}
    record = {
        "city": {"geoname_id": MmdbU32(geoname_id), "names": names(name)},
        "continent": {"code": continent_code, "names": names(continent)},
        "country": {"iso_code": country_code, "names": names(country)},
        "location": {
            "latitude": MmdbF64(lat),
            "longitude": MmdbF64(lon),
            "time_zone": tz,
            "accuracy_radius": MmdbU16(20),
        },
        "subdivisions": [{"iso_code": region_code, "names": names(region)}],
    }
    if metro is not None:
        record["location"]["metro_code"] = MmdbU16(metro)
    return record


NETWORKS = [
    (["81.2.69.0/24"], city(2643743, "London", "England", "ENG", "United Kingdom", "GB",
                            "Europe", "EU", 51.5142, -0.0931, "Europe/London")),
    (["216.160.83.0/24"], city(5803556, "Milton", "Washington", "WA", "United States", "US",
                               "North America", "NA", 47.2513, -122.3149,
                               "America/Los_Angeles", metro=819)),
    (["89.160.20.0/24"], city(2694762, "Linköping", "Östergötland County", "E", "Sweden", "SE",
                              "Europe", "EU", 58.4167, 15.6167, "Europe/Stockholm")),
    (["2a02:d280::/29"], city(2950159, "Berlin", "Land Berlin", "BE", "Germany", "DE",
                              "Europe", "EU", 52.5244, 13.4105, "Europe/Berlin")),
]


# A later edition, as `geoipupdate` would bring: the London network has moved to Paris. The
# test that the server reads a replaced file again copies it over `test-city.mmdb`.
NEXT_NETWORKS = [
    (["81.2.69.0/24"], city(2988507, "Paris", "Île-de-France", "IDF", "France", "FR",
                            "Europe", "EU", 48.8534, 2.3488, "Europe/Paris")),
] + NETWORKS[1:]


def write(name, networks_records):
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City",
                        languages=["en"], description="Loupe iplocation test data")
    for networks, record in networks_records:
        writer.insert_network(IPSet(networks), record)
    out = pathlib.Path(__file__).with_name(name)
    writer.to_db_file(str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def main():
    write("test-city.mmdb", NETWORKS)
    write("test-city-next.mmdb", NEXT_NETWORKS)


if __name__ == "__main__":
    main()
