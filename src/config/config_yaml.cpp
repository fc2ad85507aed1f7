// yaml_value and yaml_map: YAML nodes that carry their file, line and key path for errors.
#include "icegate/config/config_yaml.hpp"

#include <algorithm>

#include "icegate/config/config.hpp"

namespace icegate::app::detail {

std::string quote_text(std::string_view text) {
    constexpr std::size_t max_shown_chars = 60;
    std::string out = "\"";
    std::size_t shown = 0;
    for (char ch : text) {
        if (shown == max_shown_chars) {
            out += "...";
            break;
        }
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            out += '?';
        } else {
            out += ch;
        }
        ++shown;
    }
    return out + "\"";
}

namespace {

std::string child_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

int line_of(const YAML::Node& node, int fallback) {
    // yaml-cpp marks an implicit null at the next token, so a null value takes its key's line.
    if (node.IsNull() || node.Mark().is_null()) {
        return fallback;
    }
    return node.Mark().line + 1;
}

} // namespace

YAML::Node load_yaml(const std::string& text, const yaml_source& src) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        std::string where = src.name;
        if (!e.mark.is_null()) {
            where += ":" + std::to_string(e.mark.line + 1);
        }
        throw config_error(where + ": YAML syntax error: " + e.msg);
    }
}

yaml_value::yaml_value(const YAML::Node& node, std::string path, const yaml_source& src, int line)
    : node_(node), path_(std::move(path)), src_(&src), line_(line) {}

std::string yaml_value::message(std::string_view text) const {
    std::string out = src_->name;
    if (line_ > 0) {
        out += ":" + std::to_string(line_);
    }
    out += ": ";
    if (!path_.empty()) {
        out += path_ + ": ";
    }
    out += text;
    return out;
}

void yaml_value::fail(std::string_view text) const {
    throw config_error(message(text));
}

void yaml_value::warn(std::string_view text) const {
    if (src_->warnings != nullptr) {
        src_->warnings->push_back(message(text));
    }
}

std::string yaml_value::describe() const {
    switch (node_.Type()) {
    case YAML::NodeType::Scalar:
        return quote_text(node_.Scalar());
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a map";
    default:
        return "nothing";
    }
}

void yaml_value::fail_expected(std::string_view what) const {
    fail("expected " + std::string(what) + ", got " + describe());
}

const std::string& yaml_value::scalar(std::string_view what) const {
    if (!node_.IsScalar()) {
        fail_expected(what);
    }
    return node_.Scalar();
}

std::vector<yaml_value> yaml_value::items(std::string_view what) const {
    std::vector<yaml_value> out;
    if (node_.IsNull()) {
        return out;
    }
    if (!node_.IsSequence()) {
        fail_expected(what);
    }
    out.reserve(node_.size());
    std::size_t i = 0;
    for (const auto& item : node_) {
        std::string p = path_ + "[" + std::to_string(i++) + "]";
        out.emplace_back(item, std::move(p), *src_, line_of(item, line_));
    }
    return out;
}

yaml_map::yaml_map(const yaml_value& v, std::initializer_list<std::string_view> known) : self_(v) {
    if (v.is_null()) {
        return;
    }
    if (!v.node().IsMap()) {
        v.fail_expected("a map");
    }
    for (auto it = v.node().begin(); it != v.node().end(); ++it) {
        int key_line = line_of(it->first, v.line());
        yaml_value key(it->first, v.path(), v.source(), key_line);
        if (!it->first.IsScalar()) {
            key.fail("expected a key name, got " + key.describe());
        }
        const std::string& name = it->first.Scalar();
        std::string path = child_path(v.path(), name);
        yaml_value value(it->second, path, v.source(), line_of(it->second, key_line));
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            yaml_value(it->first, path, v.source(), key_line).fail("unknown key");
        }
        auto same = [&](const auto& e) { return e.first == name; };
        auto first = std::find_if(entries_.begin(), entries_.end(), same);
        if (first != entries_.end()) {
            yaml_value(it->first, path, v.source(), key_line)
                .fail("duplicate key (first at line " + std::to_string(first->second.line()) + ")");
        }
        entries_.emplace_back(name, std::move(value));
    }
}

std::optional<yaml_value> yaml_map::get_raw(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
        if (name == key) {
            return value;
        }
    }
    return std::nullopt;
}

std::optional<yaml_value> yaml_map::get(std::string_view key) const {
    auto v = get_raw(key);
    if (v && v->is_null()) {
        return std::nullopt;
    }
    return v;
}

} // namespace icegate::app::detail
