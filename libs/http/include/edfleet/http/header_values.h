// What an HTTP header may carry when it crosses an edfleet listener or leaves for an upstream.
//
// cpp-httplib percent-decodes header values as it reads them, so "%0D%0A" in a value arrives as a
// real CR LF. A value like that, copied into an upstream request, ends the header early and lets the
// client add headers of its own (a tenant, say) or a whole second request. Every listener refuses
// such values before routing (HardenedServer), and every forwarder checks again before it writes.
#pragma once

#include <string_view>

namespace edfleet::http {

// True when every byte of `value` is visible ASCII (0x21-0x7E), a space or a horizontal tab: RFC
// 9110 field content without obs-text. Everything else (CR, LF, NUL, other controls, bytes >= 0x80)
// is refused.
bool is_safe_header_value(std::string_view value);

// True for an RFC 9110 token (a header name): one or more of !#$%&'*+-.^_`|~, digits and letters.
bool is_header_name(std::string_view name);

}  // namespace edfleet::http
