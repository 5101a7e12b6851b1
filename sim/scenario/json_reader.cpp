#include "sim/scenario/json_reader.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>

namespace cascade {
namespace {

using nlohmann::json;

}  // namespace

std::string json_pointer_token(std::string_view key) {
    std::string token;
    for (char c : key) {
        if (c == '~') {
            token += "~0";
        } else if (c == '/') {
            token += "~1";
        } else {
            token += c;
        }
    }
    return token;
}

namespace {

// Optimal-string-alignment distance: insertions, deletions, substitutions and
// transpositions of neighbours each cost 1 ("stpes" is one edit from "steps").
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

std::string format_number(double x) {
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    return fmt::format("{:g}", x);
}

std::string quoted_list(std::span<const std::string_view> words) {
    std::string text;
    for (std::size_t i = 0; i < words.size(); ++i) {
        text += (i == 0 ? "" : (i + 1 == words.size() ? " or " : ", "));
        text += fmt::format("\"{}\"", words[i]);
    }
    return text;
}

}  // namespace

void Diagnostics::error(std::string pointer, std::string message) {
    items_.push_back(Diagnostic{source_, std::move(pointer), std::move(message)});
}

void Diagnostics::throw_if_any() const {
    if (!items_.empty()) {
        throw InputError(items_);
    }
}

bool Range::contains(double x) const {
    if (!std::isfinite(x)) {
        return false;
    }
    const bool above_low = low_open ? x > low : x >= low;
    const bool below_high = high_open ? x < high : x <= high;
    return above_low && below_high;
}

std::string Range::describe() const {
    const bool bounded_low = std::isfinite(low);
    const bool bounded_high = std::isfinite(high);
    if (bounded_low && bounded_high) {
        return fmt::format("in {}{}, {}{}", low_open ? '(' : '[', format_number(low),
                           format_number(high), high_open ? ')' : ']');
    }
    if (bounded_low) {
        return fmt::format("{} {}", low_open ? ">" : ">=", format_number(low));
    }
    if (bounded_high) {
        return fmt::format("{} {}", high_open ? "<" : "<=", format_number(high));
    }
    return "a finite number";
}

std::optional<Duration> parse_duration(std::string_view text) {
    struct Unit {
        std::string_view name;
        double seconds;
    };
    static constexpr Unit kUnits[] = {{"ms", 1e-3},          {"s", 1.0},     {"min", 60.0},
                                      {"h", 3600.0},         {"d", 86400.0}, {"w", 7 * 86400.0},
                                      {"y", 365.0 * 86400.0}};
    std::string_view trimmed = text;
    while (!trimmed.empty() && trimmed.front() == ' ') {
        trimmed.remove_prefix(1);
    }
    while (!trimmed.empty() && trimmed.back() == ' ') {
        trimmed.remove_suffix(1);
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
    if (ec != std::errc() || !std::isfinite(value)) {
        return std::nullopt;
    }
    std::string_view unit(end, trimmed.data() + trimmed.size() - end);
    while (!unit.empty() && unit.front() == ' ') {
        unit.remove_prefix(1);
    }
    for (const Unit& u : kUnits) {
        if (unit == u.name) {
            return Duration{value * u.seconds, std::string(text)};
        }
    }
    return std::nullopt;
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (std::string_view candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(candidate);
        }
    }
    return best;
}

std::string describe_json(const json& value) {
    switch (value.type()) {
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "an array";
        case json::value_t::null:
            return "null";
        default: {
            // Replace what is not UTF-8 rather than throw while reporting an error.
            std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
            if (text.size() > 40) {
                text = text.substr(0, 37) + "...";
            }
            return text;
        }
    }
}

ObjectReader::ObjectReader(const json* in, json& out, std::string pointer, Diagnostics& diagnostics)
    : in_(in), out_(out), pointer_(std::move(pointer)), diagnostics_(diagnostics) {
    if (!out_.is_object()) {
        out_ = json::object();
    }
}

std::string ObjectReader::pointer_to(std::string_view key) const {
    return pointer_ + "/" + json_pointer_token(key);
}

bool ObjectReader::has(std::string_view key) const {
    return in_ != nullptr && in_->contains(key);
}

const json* ObjectReader::find(std::string_view key) {
    known_.emplace_back(key);
    if (in_ == nullptr) {
        return nullptr;
    }
    const auto it = in_->find(key);
    return it == in_->end() ? nullptr : &*it;
}

void ObjectReader::missing(std::string_view key) {
    diagnostics_.error(pointer_to(key), "required field is missing");
}

void ObjectReader::wrong_type(std::string_view key, std::string_view expected, const json& found) {
    diagnostics_.error(pointer_to(key),
                       fmt::format("expected {}, got {}", expected, describe_json(found)));
}

double ObjectReader::number(std::string_view key, Range range, std::optional<double> fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return std::numeric_limits<double>::quiet_NaN();
        }
        out_[std::string(key)] = *fallback;
        return *fallback;
    }
    if (!value->is_number()) {
        wrong_type(key, "a number", *value);
        return fallback.value_or(std::numeric_limits<double>::quiet_NaN());
    }
    const double x = value->get<double>();
    if (!range.contains(x)) {
        diagnostics_.error(pointer_to(key), fmt::format("must be {}, got {}", range.describe(),
                                                        describe_json(*value)));
        // NaN: cross-checks that compare with it stay silent instead of piling
        // a second, misleading error on top of this one.
        return fallback.value_or(std::numeric_limits<double>::quiet_NaN());
    }
    out_[std::string(key)] = *value;
    return x;
}

std::optional<double> ObjectReader::optional_number(std::string_view key, Range range) {
    if (!has(key)) {
        known_.emplace_back(key);
        return std::nullopt;
    }
    return number(key, range);
}

std::uint64_t ObjectReader::integer(std::string_view key, std::uint64_t min, std::uint64_t max,
                                    std::optional<std::uint64_t> fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return min;
        }
        out_[std::string(key)] = *fallback;
        return *fallback;
    }
    const std::string expected = fmt::format("an integer in [{}, {}]", min, max);
    // 1e4 is a fine way to write ten thousand; 2.5 is not an integer.
    std::optional<std::uint64_t> x;  // empty when negative or beyond 2^64 - 1
    bool integral = true;
    if (value->is_number_unsigned()) {
        x = value->get<std::uint64_t>();
    } else if (value->is_number_integer()) {
        // Only negative values are stored as signed.
    } else if (value->is_number_float()) {
        const double d = value->get<double>();
        integral = std::isfinite(d) && std::trunc(d) == d;
        if (integral && d >= 0.0 && d < 0x1.0p64) {
            x = static_cast<std::uint64_t>(d);
        }
    } else {
        integral = false;
    }
    if (!integral) {
        wrong_type(key, expected, *value);
        return fallback.value_or(min);
    }
    if (!x || *x < min || *x > max) {
        diagnostics_.error(pointer_to(key),
                           fmt::format("must be {}, got {}", expected, describe_json(*value)));
        return fallback.value_or(min);
    }
    out_[std::string(key)] = *x;
    return *x;
}

std::optional<std::uint64_t> ObjectReader::optional_integer(std::string_view key, std::uint64_t min,
                                                            std::uint64_t max) {
    if (!has(key)) {
        known_.emplace_back(key);
        return std::nullopt;
    }
    const std::size_t errors_before = diagnostics_.size();
    const std::uint64_t x = integer(key, min, max);
    return diagnostics_.size() == errors_before ? std::optional<std::uint64_t>(x) : std::nullopt;
}

bool ObjectReader::boolean(std::string_view key, std::optional<bool> fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return false;
        }
        out_[std::string(key)] = *fallback;
        return *fallback;
    }
    if (!value->is_boolean()) {
        wrong_type(key, "true or false", *value);
        return fallback.value_or(false);
    }
    out_[std::string(key)] = *value;
    return value->get<bool>();
}

std::string ObjectReader::string(std::string_view key, std::optional<std::string> fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return {};
        }
        out_[std::string(key)] = *fallback;
        return *fallback;
    }
    if (!value->is_string()) {
        wrong_type(key, "a string", *value);
        return fallback.value_or("");
    }
    out_[std::string(key)] = *value;
    return value->get<std::string>();
}

std::string ObjectReader::choice(std::string_view key, std::span<const std::string_view> choices,
                                 std::optional<std::string_view> fallback) {
    const json* value = find(key);
    std::string fallback_text = fallback ? std::string(*fallback) : std::string(choices[0]);
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return fallback_text;
        }
        out_[std::string(key)] = fallback_text;
        return fallback_text;
    }
    const std::string expected = "one of " + quoted_list(choices);
    if (!value->is_string()) {
        wrong_type(key, expected, *value);
        return fallback_text;
    }
    std::string word = value->get<std::string>();
    if (std::find(choices.begin(), choices.end(), word) == choices.end()) {
        std::string message = fmt::format("expected {}, got \"{}\"", expected, word);
        if (const auto suggestion = closest_match(word, choices)) {
            message += fmt::format(" (did you mean \"{}\"?)", *suggestion);
        }
        diagnostics_.error(pointer_to(key), message);
        return fallback_text;
    }
    out_[std::string(key)] = word;
    return word;
}

std::optional<std::string> ObjectReader::selector(std::string_view key,
                                                  std::span<const std::string_view> choices) {
    if (!has(key)) {
        known_.emplace_back(key);
        missing(key);
        return std::nullopt;
    }
    const std::size_t errors_before = diagnostics_.size();
    std::string word = choice(key, choices);
    if (diagnostics_.size() != errors_before) {
        return std::nullopt;
    }
    return word;
}

void ObjectReader::ignore_rest() {
    if (in_ != nullptr && in_->is_object()) {
        for (const auto& item : in_->items()) {
            known_.push_back(item.key());
        }
    }
}

Duration ObjectReader::duration(std::string_view key, Range seconds_range,
                                std::optional<std::string_view> fallback) {
    const json* value = find(key);
    Duration neutral{0.0, ""};
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return neutral;
        }
        out_[std::string(key)] = std::string(*fallback);
        return parse_duration(*fallback).value_or(neutral);
    }
    constexpr std::string_view expected =
        "a duration with its unit, e.g. \"90s\", \"15min\", \"14h\", \"2d\", \"1w\", \"1y\"";
    if (!value->is_string()) {
        wrong_type(key, expected, *value);
        return neutral;
    }
    const auto parsed = parse_duration(value->get<std::string>());
    if (!parsed) {
        wrong_type(key, expected, *value);
        return neutral;
    }
    if (!seconds_range.contains(parsed->seconds)) {
        diagnostics_.error(
            pointer_to(key),
            fmt::format("must be a duration {} seconds, got {} ({} s)", seconds_range.describe(),
                        describe_json(*value), format_number(parsed->seconds)));
        return *parsed;
    }
    out_[std::string(key)] = *value;
    return *parsed;
}

std::optional<Duration> ObjectReader::optional_duration(std::string_view key, Range seconds_range) {
    if (!has(key)) {
        known_.emplace_back(key);
        return std::nullopt;
    }
    return duration(key, seconds_range);
}

std::vector<double> ObjectReader::number_list(std::string_view key, Range range,
                                              std::optional<std::vector<double>> fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        if (!fallback) {
            missing(key);
            return {};
        }
        out_[std::string(key)] = *fallback;
        return *fallback;
    }
    if (!value->is_array()) {
        wrong_type(key, "an array of numbers", *value);
        return fallback.value_or(std::vector<double>{});
    }
    std::vector<double> numbers;
    bool ok = true;
    for (std::size_t i = 0; i < value->size(); ++i) {
        const json& item = (*value)[i];
        const std::string where = pointer_to(key) + "/" + std::to_string(i);
        if (!item.is_number()) {
            diagnostics_.error(where, "expected a number, got " + describe_json(item));
            ok = false;
        } else if (!range.contains(item.get<double>())) {
            diagnostics_.error(
                where, fmt::format("must be {}, got {}", range.describe(), describe_json(item)));
            ok = false;
        } else {
            numbers.push_back(item.get<double>());
        }
    }
    out_[std::string(key)] = *value;
    return ok ? numbers : fallback.value_or(std::vector<double>{});
}

std::vector<std::string> ObjectReader::choice_list(std::string_view key,
                                                   std::span<const std::string_view> choices,
                                                   std::vector<std::string> fallback) {
    const json* value = find(key);
    if (value == nullptr) {
        out_[std::string(key)] = fallback;
        return fallback;
    }
    const std::string expected = "an array of " + quoted_list(choices);
    if (!value->is_array()) {
        wrong_type(key, expected, *value);
        return fallback;
    }
    std::vector<std::string> words;
    for (std::size_t i = 0; i < value->size(); ++i) {
        const json& item = (*value)[i];
        const std::string where = pointer_to(key) + "/" + std::to_string(i);
        const std::string word = item.is_string() ? item.get<std::string>() : std::string();
        if (!item.is_string() || std::find(choices.begin(), choices.end(), word) == choices.end()) {
            std::string message = fmt::format("expected one of {}, got {}", quoted_list(choices),
                                              describe_json(item));
            if (const auto suggestion = closest_match(word, choices);
                suggestion && item.is_string()) {
                message += fmt::format(" (did you mean \"{}\"?)", *suggestion);
            }
            diagnostics_.error(where, message);
        } else if (std::find(words.begin(), words.end(), word) != words.end()) {
            diagnostics_.error(where, fmt::format("\"{}\" is listed twice", word));
        } else {
            words.push_back(word);
        }
    }
    out_[std::string(key)] = *value;
    return words;
}

void ObjectReader::object(std::string_view key, const std::function<void(ObjectReader&)>& read,
                          bool required) {
    const json* value = find(key);
    if (value == nullptr && required) {
        missing(key);
        return;
    }
    if (value != nullptr && !value->is_object()) {
        wrong_type(key, "an object", *value);
        return;
    }
    ObjectReader nested(value, out_[std::string(key)], pointer_to(key), diagnostics_);
    read(nested);
    nested.finish();
}

bool ObjectReader::optional_object(std::string_view key,
                                   const std::function<void(ObjectReader&)>& read) {
    if (!has(key)) {
        known_.emplace_back(key);
        return false;
    }
    object(key, read, true);
    return true;
}

void ObjectReader::object_list(std::string_view key,
                               const std::function<void(ObjectReader&, std::size_t)>& read) {
    const json* value = find(key);
    json& out_list = out_[std::string(key)];
    out_list = json::array();
    if (value == nullptr) {
        return;
    }
    if (!value->is_array()) {
        wrong_type(key, "an array of objects", *value);
        return;
    }
    for (std::size_t i = 0; i < value->size(); ++i) {
        const json& item = (*value)[i];
        const std::string where = pointer_to(key) + "/" + std::to_string(i);
        out_list.push_back(json::object());
        if (!item.is_object()) {
            diagnostics_.error(where, "expected an object, got " + describe_json(item));
            continue;
        }
        ObjectReader nested(&item, out_list.back(), where, diagnostics_);
        read(nested, i);
        nested.finish();
    }
}

void ObjectReader::pass_through(std::string_view key) {
    if (const json* value = find(key)) {
        out_[std::string(key)] = *value;
    }
}

void ObjectReader::finish() {
    if (in_ == nullptr || !in_->is_object()) {
        return;
    }
    std::vector<std::string_view> candidates(known_.begin(), known_.end());
    for (const auto& [key, value] : in_->items()) {
        if (std::find(known_.begin(), known_.end(), key) != known_.end()) {
            continue;
        }
        std::string message = "unknown key";
        if (const auto suggestion = closest_match(key, candidates)) {
            message += fmt::format(" (did you mean \"{}\"?)", *suggestion);
        } else if (!candidates.empty()) {
            std::string allowed;
            for (std::string_view c : candidates) {
                allowed += (allowed.empty() ? "" : ", ") + std::string(c);
            }
            message += "; allowed here: " + allowed;
        }
        diagnostics_.error(pointer_to(key), message);
    }
}

}  // namespace cascade
