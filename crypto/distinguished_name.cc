#include "crypto/distinguished_name.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "crypto/openssl_util.h"

namespace ipop::crypto {

namespace {

constexpr std::string_view kWildcard = "*";

struct NameDeleter {
  void operator()(X509_NAME* name) const { X509_NAME_free(name); }
};
using NamePtr = std::unique_ptr<X509_NAME, NameDeleter>;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && IsSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// RFC 5280 §7.1 leaves the full string preparation of RFC 4518 to the
// implementation. This keeps its common part, as OpenSSL's X509_NAME_cmp
// does: no leading or trailing spaces, inner runs of spaces as one, ASCII
// letters in lower case. Non-ASCII characters compare byte for byte.
std::string PrepareValue(std::string_view value) {
  std::string prepared;
  bool pending_space = false;
  for (char c : Trim(value)) {
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) {
      prepared.push_back(' ');
      pending_space = false;
    }
    prepared.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return prepared;
}

// Splits DN text at unescaped `separators`. Backslashes are kept, so a
// later split still treats escaped separators as text.
std::vector<std::string> SplitUnescaped(std::string_view text, std::string_view separators) {
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      pieces.back().push_back(c);
      pieces.back().push_back(text[++i]);
    } else if (separators.find(c) != std::string_view::npos) {
      pieces.emplace_back();
    } else {
      pieces.back().push_back(c);
    }
  }
  return pieces;
}

std::string Unescape(std::string_view text) {
  std::string plain;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;
    }
    plain.push_back(text[i]);
  }
  return plain;
}

NamePtr ParseDer(ByteView der) {
  const unsigned char* cursor = AsUChar(der);
  NamePtr name(d2i_X509_NAME(nullptr, &cursor, static_cast<long>(der.size())));
  if (name == nullptr || cursor != AsUChar(der) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return name;
}

struct PreparedAttribute {
  int nid = 0;
  std::string value;
};

// The RDNs of `name`, each value converted to UTF-8 and prepared. False
// when a value cannot be converted.
bool PreparedRdns(const X509_NAME* name, std::vector<std::vector<PreparedAttribute>>& rdns) {
  const int count = X509_NAME_entry_count(name);
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const size_t set = static_cast<size_t>(X509_NAME_ENTRY_set(entry));
    if (set >= rdns.size()) {
      rdns.resize(set + 1);
    }
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length < 0) {
      ERR_clear_error();
      return false;
    }
    PreparedAttribute attribute;
    attribute.nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    attribute.value = PrepareValue(std::string_view(reinterpret_cast<char*>(utf8), static_cast<size_t>(length)));
    OPENSSL_free(utf8);
    rdns[set].push_back(std::move(attribute));
  }
  return true;
}

}  // namespace

Result<DistinguishedNamePattern> DistinguishedNamePattern::Parse(std::string_view text) {
  DistinguishedNamePattern pattern;
  pattern.text_ = std::string(text);
  std::string_view body = Trim(text);
  const bool slash_form = body.starts_with('/');
  if (slash_form) {
    body.remove_prefix(1);
  }
  if (body.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "empty distinguished name");
  }

  for (const std::string& rdn_text : SplitUnescaped(body, slash_form ? "/" : ",")) {
    Rdn rdn;
    for (const std::string& attribute_text : SplitUnescaped(rdn_text, "+")) {
      const size_t equals = attribute_text.find('=');
      const std::string_view type = Trim(std::string_view(attribute_text).substr(0, equals));
      if (equals == std::string::npos || type.empty()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "\"" + attribute_text + "\" in distinguished name \"" + pattern.text_ +
                        "\" is not TYPE=VALUE, such as CN=host");
      }
      Attribute attribute;
      attribute.nid = OBJ_txt2nid(std::string(type).c_str());
      if (attribute.nid == NID_undef) {
        return Fail(ErrorCode::kInvalidArgument, "unknown attribute type \"" + std::string(type) +
                                                     "\" in distinguished name \"" + pattern.text_ +
                                                     "\"; use C, ST, L, O, OU, CN, emailAddress or an OID");
      }
      attribute.value = Unescape(Trim(std::string_view(attribute_text).substr(equals + 1)));
      rdn.push_back(std::move(attribute));
    }
    pattern.rdns_.push_back(std::move(rdn));
  }
  return pattern;
}

bool DistinguishedNamePattern::has_wildcard() const {
  for (const Rdn& rdn : rdns_) {
    for (const Attribute& attribute : rdn) {
      if (attribute.value == kWildcard) {
        return true;
      }
    }
  }
  return false;
}

bool DistinguishedNamePattern::Matches(ByteView der) const {
  NamePtr name = ParseDer(der);
  std::vector<std::vector<PreparedAttribute>> rdns;
  if (name == nullptr || !PreparedRdns(name.get(), rdns) || rdns.size() != rdns_.size()) {
    return false;
  }
  for (size_t i = 0; i < rdns.size(); ++i) {
    std::vector<PreparedAttribute>& candidates = rdns[i];
    if (candidates.size() != rdns_[i].size()) {
      return false;
    }
    // Exact values claim their attribute first, so that a wildcard never
    // takes the one attribute an exact value needs.
    std::vector<const Attribute*> ordered;
    for (const Attribute& attribute : rdns_[i]) {
      ordered.push_back(&attribute);
    }
    std::ranges::stable_partition(ordered, [](const Attribute* attribute) { return attribute->value != kWildcard; });
    std::vector<bool> used(candidates.size(), false);
    for (const Attribute* pattern_attribute : ordered) {
      const bool wildcard = pattern_attribute->value == kWildcard;
      const std::string prepared = PrepareValue(pattern_attribute->value);
      bool found = false;
      for (size_t j = 0; j < candidates.size() && !found; ++j) {
        if (!used[j] && candidates[j].nid == pattern_attribute->nid && (wildcard || candidates[j].value == prepared)) {
          used[j] = true;
          found = true;
        }
      }
      if (!found) {
        return false;
      }
    }
  }
  return true;
}

Result<Bytes> DistinguishedNamePattern::ToDer() const {
  NamePtr name(X509_NAME_new());
  if (name == nullptr) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("X509_NAME_new failed"));
  }
  for (const Rdn& rdn : rdns_) {
    for (size_t i = 0; i < rdn.size(); ++i) {
      const Attribute& attribute = rdn[i];
      if (attribute.value == kWildcard) {
        return Fail(ErrorCode::kInvalidArgument,
                    "the wildcard * in \"" + text_ + "\" only applies to peers_identifier; name our own DN in full");
      }
      // set 0 starts a new RDN, and -1 adds to the RDN of the previous entry.
      const int set = i == 0 ? 0 : -1;
      if (X509_NAME_add_entry_by_NID(name.get(), attribute.nid, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(attribute.value.data()),
                                     static_cast<int>(attribute.value.size()), -1, set) != 1) {
        return Fail(ErrorCode::kInvalidArgument,
                    internal::OpenSslError(("invalid value \"" + attribute.value + "\" for " +
                                            OBJ_nid2sn(attribute.nid) + " in distinguished name \"" + text_ + "\"")
                                               .c_str()));
      }
    }
  }
  const int length = i2d_X509_NAME(name.get(), nullptr);
  if (length <= 0) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("encoding a distinguished name failed"));
  }
  Bytes der(static_cast<size_t>(length));
  unsigned char* cursor = AsUChar(MutableByteView(der));
  i2d_X509_NAME(name.get(), &cursor);
  return der;
}

std::string DistinguishedNameText(ByteView der) {
  NamePtr name = ParseDer(der);
  if (name == nullptr) {
    return "(invalid DN)";
  }
  char* text = X509_NAME_oneline(name.get(), nullptr, 0);
  if (text == nullptr) {
    return "(invalid DN)";
  }
  std::string result = text;
  OPENSSL_free(text);
  return result;
}

}  // namespace ipop::crypto
