#include <catch2/catch.hpp>
#include <string>

#include "edfleet/pg/migrations.h"

using edfleet::pg::migration_checksum;

TEST_CASE("migration_checksum is the SHA-256 of the SQL", "[checksum]") {
  // FIPS 180-4 test vectors, including ones that need one and two padding blocks.
  CHECK(migration_checksum("") ==
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(migration_checksum("abc") ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(migration_checksum("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(migration_checksum(std::string(1000000, 'a')) ==
        "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("migration_checksum ignores CRLF versus LF line ends only", "[checksum]") {
  CHECK(migration_checksum("SELECT 1;\r\nSELECT 2;\r\n") == migration_checksum("SELECT 1;\nSELECT 2;\n"));
  CHECK(migration_checksum("SELECT 1;\r") != migration_checksum("SELECT 1;"));
  CHECK(migration_checksum("SELECT 1;") != migration_checksum("SELECT 2;"));
}
