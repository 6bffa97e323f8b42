#include <catch2/catch.hpp>

#include "edfleet/core/tenant.h"

using edfleet::core::is_tenant_slug;

TEST_CASE("tenant slugs") {
  CHECK(is_tenant_slug("acme"));
  CHECK(is_tenant_slug("a"));
  CHECK(is_tenant_slug("0day"));
  CHECK(is_tenant_slug("acme-eu_2"));
  CHECK(is_tenant_slug(std::string(63, 'a')));
  CHECK_FALSE(is_tenant_slug(""));
  CHECK_FALSE(is_tenant_slug(std::string(64, 'a')));
  CHECK_FALSE(is_tenant_slug("-acme"));
  CHECK_FALSE(is_tenant_slug("_acme"));
  CHECK_FALSE(is_tenant_slug("Acme"));
  CHECK_FALSE(is_tenant_slug("acme corp"));
  CHECK_FALSE(is_tenant_slug("acme/beta"));
  CHECK_FALSE(is_tenant_slug("acme\r\nx"));
}
