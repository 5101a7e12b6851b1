#pragma once
// Reads one JSON object into typed values while (1) checking each value's type
// and range, (2) collecting every problem with its JSON pointer instead of
// stopping at the first, (3) writing the value actually used, defaults
// included, into the resolved scenario, and (4) reporting keys nobody asked
// for, with a "did you mean" suggestion, so typos are never silently ignored.
//
// This is the only place that knows JSON; parsers built on it return plain
// config structs.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/errors.hpp"

namespace cascade {

// Problems found while reading one input source.
class Diagnostics {
  public:
    explicit Diagnostics(std::string source) : source_(std::move(source)) {}
    void error(std::string pointer, std::string message);
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    const std::string& source() const { return source_; }
    // Throws InputError with everything collected, if anything was.
    void throw_if_any() const;

  private:
    std::string source_;
    std::vector<Diagnostic> items_;
};

// An allowed interval for a number; open or closed at each end.
struct Range {
    double low = -std::numeric_limits<double>::infinity();
    double high = std::numeric_limits<double>::infinity();
    bool low_open = false;
    bool high_open = false;

    static Range any() { return {}; }
    static Range positive() { return {0.0, std::numeric_limits<double>::infinity(), true, false}; }
    static Range non_negative() { return {0.0, std::numeric_limits<double>::infinity()}; }
    static Range closed(double lo, double hi) { return {lo, hi, false, false}; }
    static Range open(double lo, double hi) { return {lo, hi, true, true}; }
    static Range left_open(double lo, double hi) { return {lo, hi, true, false}; }
    static Range right_open(double lo, double hi) { return {lo, hi, false, true}; }
    static Range above(double lo) { return {lo, std::numeric_limits<double>::infinity(), true}; }

    bool contains(double x) const;
    std::string describe() const;  // e.g. "in (0, 1]" or "> 0"
};

// A length of time written with its unit, e.g. "90s", "15min", "14h", "1.5d", "2w", "1y".
struct Duration {
    double seconds = 0.0;
    std::string text;  // as written, kept for the resolved scenario
};
std::optional<Duration> parse_duration(std::string_view text);

// Closest candidate to `word` by edit distance, if close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

class ObjectReader {
  public:
    // `in` may be null (a section left out: everything takes its default).
    ObjectReader(const nlohmann::json* in, nlohmann::json& out, std::string pointer,
                 Diagnostics& diagnostics);
    ObjectReader(const ObjectReader&) = delete;
    ObjectReader& operator=(const ObjectReader&) = delete;

    const std::string& pointer() const { return pointer_; }
    std::string pointer_to(std::string_view key) const;
    bool has(std::string_view key) const;
    // The raw value at `key` (null when absent), without marking the key known:
    // for values that may take more than one shape (a number or an object).
    const nlohmann::json* peek(std::string_view key) const {
        if (in_ == nullptr) {
            return nullptr;
        }
        const auto it = in_->find(key);
        return it == in_->end() ? nullptr : &*it;
    }
    Diagnostics& diagnostics() { return diagnostics_; }

    // Each getter marks `key` as known. With no default the key is required.
    // On a problem it records a diagnostic and returns the default, or for a
    // required number NaN (so later cross-checks stay silent), so reading can
    // go on and find further problems.
    double number(std::string_view key, Range range, std::optional<double> fallback = {});
    std::optional<double> optional_number(std::string_view key, Range range);
    std::optional<std::uint64_t> optional_integer(std::string_view key, std::uint64_t min,
                                                  std::uint64_t max);
    std::uint64_t integer(std::string_view key, std::uint64_t min, std::uint64_t max,
                          std::optional<std::uint64_t> fallback = {});
    bool boolean(std::string_view key, std::optional<bool> fallback = {});
    std::string string(std::string_view key, std::optional<std::string> fallback = {});
    // One of `choices`; an unknown word gets a "did you mean".
    std::string choice(std::string_view key, std::span<const std::string_view> choices,
                       std::optional<std::string_view> fallback = {});
    // A required choice that selects what else the object holds ("model": "gbm").
    // Returns nothing (after a diagnostic) when missing or unknown.
    std::optional<std::string> selector(std::string_view key,
                                        std::span<const std::string_view> choices);
    Duration duration(std::string_view key, Range seconds_range,
                      std::optional<std::string_view> fallback = {});
    std::optional<Duration> optional_duration(std::string_view key, Range seconds_range);
    std::vector<double> number_list(std::string_view key, Range range,
                                    std::optional<std::vector<double>> fallback = {});

    // A list of words, each one of `choices`, without repeats.
    std::vector<std::string> choice_list(std::string_view key,
                                         std::span<const std::string_view> choices,
                                         std::vector<std::string> fallback);

    // A nested object. Absent and not required: read as empty (all defaults).
    void object(std::string_view key, const std::function<void(ObjectReader&)>& read,
                bool required = false);
    // An optional nested object; `read` runs only when it is present.
    bool optional_object(std::string_view key, const std::function<void(ObjectReader&)>& read);
    // An array of objects; absent reads as empty.
    void object_list(std::string_view key,
                     const std::function<void(ObjectReader&, std::size_t)>& read);

    // Records a value derived from others (e.g. steps from horizon / step) in
    // the resolved scenario.
    void resolve(std::string_view key, nlohmann::json value) {
        out_[std::string(key)] = std::move(value);
    }

    // A key accepted and copied through but not interpreted (e.g. "$schema").
    void pass_through(std::string_view key);

    // Treats every key as known: used once a selector is invalid, so the
    // model's own keys are not reported as unknown too.
    void ignore_rest();

    // Reports every key that no getter asked for. Called by the destructor-free
    // owner once reading is done (object()/object_list() call it themselves).
    void finish();

  private:
    const nlohmann::json* find(std::string_view key);
    void missing(std::string_view key);
    void wrong_type(std::string_view key, std::string_view expected, const nlohmann::json& found);

    const nlohmann::json* in_;
    nlohmann::json& out_;
    std::string pointer_;
    Diagnostics& diagnostics_;
    std::vector<std::string> known_;
};

// RFC 6901 escaping of one reference token ("a/b" -> "a~1b").
std::string json_pointer_token(std::string_view key);

// Short rendering of a JSON value for messages ("1.5", "\"abc\"", "an object").
std::string describe_json(const nlohmann::json& value);

}  // namespace cascade
