// Users, users_file and shared secrets: validation, placeholder keys, and keys for plaintext
// passwords (MD5 and SHA-256 of name:realm:password, RFC 8489 section 9.2.2, derived by stun).
#include "icegate/config/config_auth.hpp"

#include <fstream>
#include <system_error>

#include "icegate/config/config_values.hpp"
#include "icegate/config/user_name.hpp"
#include "icegate/stun/credentials.hpp"

namespace icegate::app::detail {

namespace {

constexpr std::size_t max_users_file_bytes = 16UL * 1024 * 1024;
constexpr std::size_t max_secret_file_bytes = 64UL * 1024;
constexpr std::string_view masked_value = "***";

std::string location(const yaml_value& v) {
    return v.source().name + ":" + std::to_string(v.line());
}

std::string trim(std::string s) {
    static constexpr const char* space = " \t\r\n";
    auto end = s.find_last_not_of(space);
    s.erase(end == std::string::npos ? 0 : end + 1);
    s.erase(0, s.find_first_not_of(space));
    return s;
}

void reject_masked(const yaml_value& v, std::string_view text) {
    if (text == masked_value) {
        v.fail("\"***\" is a masked value from check-config output, not a real one");
    }
}

void read_key(const yaml_value& v, user_entry& u) {
    const std::string& text = v.scalar("a key of 32 hex digits");
    reject_masked(v, text);
    if (!decode_hex(text, u.key_md5.data(), u.key_md5.size())) {
        v.fail("expected 32 hex digits (MD5 of name:realm:password), optionally prefixed with "
               "0x, got " +
               std::to_string(text.size()) + " characters");
    }
}

void read_key_sha256(const yaml_value& v, user_entry& u) {
    const std::string& text = v.scalar("a key of 64 hex digits");
    reject_masked(v, text);
    std::array<std::uint8_t, 32> key{};
    if (!decode_hex(text, key.data(), key.size())) {
        v.fail("expected 64 hex digits (SHA-256 of name:realm:password), optionally prefixed "
               "with 0x, got " +
               std::to_string(text.size()) + " characters");
    }
    u.key_sha256 = key;
}

void derive_keys(const yaml_value& v, const std::string& realm, user_entry& u) {
    const std::string& password = v.scalar("a password");
    if (password.empty()) {
        v.fail("expected a non-empty password");
    }
    const auto md5 = stun::long_term_key_md5(u.name, realm, password);
    const auto sha256 = stun::long_term_key_sha256(u.name, realm, password);
    if (!md5 || !sha256) {
        throw config_error("OpenSSL digest failed while deriving a user key");
    }
    u.key_md5 = *md5;
    u.key_sha256 = *sha256;
    u.from_plaintext = true;
    v.warn("plaintext password for user \"" + u.name +
           "\"; store its key instead (icegate user "
           "key NAME REALM)");
}

} // namespace

void user_reader::read_list(const yaml_value& list, bool from_file) {
    for (const auto& item : list.items("a list of users")) {
        read_one(item, from_file);
    }
}

void user_reader::check_unique(const yaml_value& name_value, const std::string& name) {
    for (const auto& [seen, where] : seen_) {
        if (seen == name) {
            std::string text = "duplicate user \"";
            text.append(name).append("\" (first at ").append(where).append(")");
            name_value.fail(text);
        }
    }
    seen_.emplace_back(name, location(name_value));
}

void user_reader::read_one(const yaml_value& item, bool from_file) {
    if (!item.node().IsMap()) {
        item.fail_expected("a user (a map with name and key or password)");
    }
    yaml_map m(item, {"name", "key", "password", "key_sha256"});
    auto name_value = m.get("name");
    if (!name_value) {
        item.fail("user without a name");
    }
    user_entry u;
    u.name = read_nonempty_string(*name_value);
    if (auto why = check_user_name(u.name); !why.empty()) {
        name_value->fail(why);
    }
    check_unique(*name_value, u.name);
    auto key = m.get("key");
    auto password = m.get("password");
    auto sha = m.get("key_sha256");
    if (key && password) {
        password->fail("give either key or password, not both");
    }
    if (!key && !password) {
        item.fail("user \"" + u.name + "\" needs a key or a password");
    }
    if (password && sha) {
        sha->fail("key_sha256 is derived from password; give key and key_sha256 instead");
    }
    if (sha) {
        read_key_sha256(*sha, u);
    }
    if (password) {
        derive_keys(*password, realm_, u);
    } else if (key->is_scalar() && key->node().Scalar().find("...") != std::string::npos) {
        key->warn("placeholder key, user \"" + u.name + "\" disabled");
        return;
    } else {
        read_key(*key, u);
    }
    u.from_users_file = from_file;
    out_.push_back(std::move(u));
}

void user_reader::read_file(const yaml_value& key, const std::filesystem::path& file) {
    std::string text = read_small_file(key, file, max_users_file_bytes);
    yaml_source src{file.filename().string(), file.parent_path(), key.source().warnings};
    yaml_value root(load_yaml(text, src), "", src, 1);
    yaml_map m(root, {"users"});
    if (auto users = m.get("users")) {
        read_list(*users, true);
    }
}

std::string read_small_file(const yaml_value& key, const std::filesystem::path& file,
                            std::size_t max_bytes) {
    std::string shown = "\"" + file.string() + "\"";
    std::error_code ec;
    auto st = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(st)) {
        std::string why = ec ? ec.message() : "No such file or directory";
        key.fail("cannot read " + shown + ": " + why);
    }
    if (!std::filesystem::is_regular_file(st)) {
        key.fail("cannot read " + shown + ": not a regular file");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        key.fail("cannot read " + shown + ": cannot open it");
    }
    std::string text(max_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        key.fail("cannot read " + shown + ": read error");
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) {
        key.fail("cannot read " + shown + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    return text;
}

std::string read_secret(const yaml_value& v, bool allow_empty) {
    if (v.node().IsMap()) {
        yaml_map m(v, {"file"});
        auto file = m.get("file");
        if (!file) {
            v.fail("expected {file: PATH}");
        }
        std::string secret = trim(read_small_file(*file, read_path(*file), max_secret_file_bytes));
        if (secret.empty()) {
            file->fail("secret file \"" + file->node().Scalar() + "\" is empty");
        }
        return secret;
    }
    const std::string& s = v.scalar("a secret (a string or {file: PATH})");
    if (s.empty() && !allow_empty) {
        v.fail_expected("a non-empty secret (a string or {file: PATH})");
    }
    reject_masked(v, s);
    return s;
}

std::vector<std::string> read_secrets(const yaml_value& list) {
    std::vector<std::string> out;
    for (const auto& item : list.items("a list of secrets")) {
        if (item.is_null()) {
            item.fail_expected("a non-empty secret (a string or {file: PATH})");
        }
        out.push_back(read_secret(item, false));
    }
    return out;
}

} // namespace icegate::app::detail
