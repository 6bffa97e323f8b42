#include "domain/xapi/attachments.h"

#include <map>
#include <set>

#include "domain/xapi/statement_form.h"
#include "domain/xapi/statement_validation.h"

namespace edfleet::ingest::xapi {
namespace {

using nlohmann::json;

std::string statement_name(bool batch, std::size_t index) {
  return batch ? "statement [" + std::to_string(index) + "]" : std::string("the statement");
}

std::string prefix(bool batch, std::size_t index) { return batch ? "[" + std::to_string(index) + "]." : std::string(); }

// Part numbers as a reader counts them: the statements are part 1.
std::string part_name(std::size_t attachment_part_index) { return "part " + std::to_string(attachment_part_index + 2); }

struct AttachmentRef {
  const json* attachment;
  std::string path;  // e.g. "[1].attachments[0]" or "object.attachments[2]"
};

std::vector<AttachmentRef> attachments_of(const json& statement, const std::string& path_prefix) {
  std::vector<AttachmentRef> out;
  const auto collect = [&out](const json& s, const std::string& base) {
    if (!s.contains("attachments") || !s["attachments"].is_array()) return;
    for (std::size_t j = 0; j < s["attachments"].size(); ++j) {
      out.push_back({&s["attachments"][j], base + "attachments[" + std::to_string(j) + "]"});
    }
  };
  collect(statement, path_prefix);
  if (statement.contains("object") && statement["object"].is_object() &&
      statement["object"].value("objectType", "") == "SubStatement") {
    collect(statement["object"], path_prefix + "object.");
  }
  return out;
}

bool is_signature(const json& attachment) { return attachment.value("usageType", "") == kSignatureUsageType; }

struct ReceivedPart {
  const MultipartPart* part;
  std::size_t index;
  bool used = false;
};

// The statement without its signature Attachments (what the signer signed, Data 2.6).
json without_signatures(json statement) {
  if (statement.contains("attachments") && statement["attachments"].is_array()) {
    json kept = json::array();
    for (const auto& a : statement["attachments"]) {
      if (!(a.is_object() && is_signature(a))) kept.push_back(a);
    }
    if (kept.empty()) {
      statement.erase("attachments");
    } else {
      statement["attachments"] = std::move(kept);
    }
  }
  return statement;
}

}  // namespace

core::Result<MatchedAttachments> match_attachments(const std::vector<json>& statements, bool batch, bool multipart,
                                                   const std::vector<MultipartPart>& parts, JwsVerifier& crypto,
                                                   std::size_t max_bytes) {
  // 1. The parts by themselves: their headers and that their content has the hash they declare.
  std::map<std::string, ReceivedPart> by_hash;
  MatchedAttachments matched;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    const auto hash = part.header("X-Experience-API-Hash");
    if (!hash || hash->empty()) {
      return core::Error::invalid(part_name(i) + " has no X-Experience-API-Hash header (the SHA-2 of its content, "
                                                 "as in the attachment's sha2).",
                                  "X-Experience-API-Hash");
    }
    const auto encoding = part.header("Content-Transfer-Encoding");
    if (!encoding) {
      return core::Error::invalid(part_name(i) + " (X-Experience-API-Hash " + *hash +
                                      ") has no Content-Transfer-Encoding header; it must be binary.",
                                  "Content-Transfer-Encoding");
    }
    if (to_lower(*encoding) != "binary") {
      return core::Error::invalid(part_name(i) + " (X-Experience-API-Hash " + *hash +
                                      ") must have Content-Transfer-Encoding: binary; got \"" + *encoding + "\".",
                                  "Content-Transfer-Encoding");
    }
    const std::string declared = to_lower(*hash);
    const auto actual = crypto.sha2_hex(part.body, declared.size());
    if (!actual) {
      return core::Error::invalid(part_name(i) + ": X-Experience-API-Hash \"" + *hash +
                                      "\" is not a SHA-2 hex digest (SHA-224, SHA-256, SHA-384 or SHA-512).",
                                  "X-Experience-API-Hash");
    }
    if (*actual != declared) {
      return core::Error::invalid(part_name(i) + ": its content's SHA-2 is " + *actual +
                                      ", not the X-Experience-API-Hash it declares (" + declared + ").",
                                  "X-Experience-API-Hash");
    }
    // The same data twice (allowed, if wasteful): one copy is kept.
    if (by_hash.emplace(declared, ReceivedPart{&part, i}).second) matched.total_bytes += part.body.size();
  }
  if (matched.total_bytes > max_bytes) {
    return core::Error{core::ErrorCode::kTooLarge,
                       "The attachments of one request may hold at most " + std::to_string(max_bytes) +
                           " bytes; got " + std::to_string(matched.total_bytes) + ".",
                       {}};
  }

  // 2. Every Attachment object: its part, or a fileUrl.
  matched.by_statement.resize(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    std::set<std::string> carried;
    for (const auto& ref : attachments_of(statements[i], prefix(batch, i))) {
      const json& a = *ref.attachment;
      const std::string sha2 = to_lower(a.value("sha2", ""));
      const std::string where = ref.path + " of " + statement_name(batch, i) + " (sha2 " + sha2 + ")";
      const bool signature = is_signature(a);
      const std::string content_type = a.value("contentType", "");
      if (signature && media_type(content_type) != kSignatureContentType) {
        return core::Error::invalid(where + " is a signature: its contentType must be application/octet-stream; got \"" +
                                        content_type + "\".",
                                    ref.path + ".contentType");
      }
      const auto found = by_hash.find(sha2);
      if (found == by_hash.end()) {
        if (signature) {
          return core::Error::invalid(where + " is a signature: its JWS must be sent as a multipart/mixed part with "
                                              "X-Experience-API-Hash " + sha2 + ".",
                                      ref.path + ".sha2");
        }
        if (a.contains("fileUrl")) continue;
        return core::Error::invalid(
            multipart ? where + " has no fileUrl and no part with X-Experience-API-Hash " + sha2 + "."
                      : where + " has no fileUrl: attachment data must be sent as multipart/mixed with a part per "
                                "attachment (application/json requests may only carry attachments with fileUrl).",
            ref.path + ".sha2");
      }
      ReceivedPart& received = found->second;
      received.used = true;
      const auto part_type = received.part->header("Content-Type");
      if (part_type && media_type(*part_type) != media_type(content_type)) {
        return core::Error::invalid(where + " has contentType \"" + content_type + "\" but its " +
                                        part_name(received.index) + " has Content-Type \"" + *part_type + "\".",
                                    ref.path + ".contentType");
      }
      // `length` is not compared with the part's size: parts are matched to attachments by SHA-2 and "MUST
      // not [be] any other way" (Communication 1.5.2), and only part header parameters with a matching
      // property must agree (Content-Type / contentType, X-Experience-API-Hash / sha2). Refusing on length
      // rejected valid requests whose client counted the data before encoding it (e.g. a file's size).
      if (carried.insert(sha2).second) {
        matched.by_statement[i].push_back({sha2, content_type, received.part->body});
      }
    }
  }

  // 3. No part left over.
  for (const auto& [hash, received] : by_hash) {
    if (!received.used) {
      return core::Error::invalid(part_name(received.index) + " (X-Experience-API-Hash " + hash +
                                      ") matches no attachment of the statements (no sha2 " + hash + ").",
                                  "X-Experience-API-Hash");
    }
  }
  return matched;
}

core::Result<void> verify_signatures(const std::vector<json>& statements, bool batch, const MatchedAttachments& matched,
                                     JwsVerifier& crypto, Version version) {
  for (std::size_t i = 0; i < statements.size(); ++i) {
    for (const auto& ref : attachments_of(statements[i], prefix(batch, i))) {
      if (!is_signature(*ref.attachment)) continue;
      const std::string sha2 = to_lower(ref.attachment->value("sha2", ""));
      const std::string where = "The signature " + ref.path + " of " + statement_name(batch, i);
      const AttachmentContent* jws = nullptr;
      for (const auto& content : matched.by_statement[i]) {
        if (content.sha2 == sha2) jws = &content;
      }
      if (jws == nullptr) return core::Error::invalid(where + " has no data (send it as a part).", ref.path);
      auto verified = crypto.verify(jws->content);
      if (!verified) return core::Error::invalid(where + ": " + verified.error().message, ref.path);
      const json payload = json::parse(verified->payload, nullptr, false);
      if (!payload.is_object()) {
        return core::Error::invalid(where + ": the JWS payload is not a JSON statement object.", ref.path);
      }
      if (auto valid = validate_statement(payload, {version}); !valid) {
        return core::Error::invalid(where + ": the signed statement (JWS payload) is invalid: " + valid.error().message,
                                    ref.path);
      }
      json received = without_signatures(statements[i]);
      const json signed_statement = without_signatures(payload);
      if (!signed_statement.contains("id")) received.erase("id");
      if (comparison_hash(received) != comparison_hash(signed_statement)) {
        return core::Error::invalid(where + ": the signed statement (JWS payload) is not the statement sent (they "
                                            "differ by the xAPI comparison rules).",
                                    ref.path);
      }
    }
  }
  return {};
}

}  // namespace edfleet::ingest::xapi
