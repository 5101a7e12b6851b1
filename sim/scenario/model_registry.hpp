#pragma once
// One explicit table per model family, mapping the name a scenario uses to the
// function that reads that model's parameters. Duplicate names are a
// programming error caught when the table is built.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/scenario/json_reader.hpp"

namespace cascade {

template <class Config>
class ModelRegistry {
  public:
    using ReadFunction = std::function<Config(ObjectReader&)>;
    struct Entry {
        std::string_view name;
        ReadFunction read;
    };

    // `family` names the model family in messages; `selector` is the key
    // holding the model name in the scenario ("model", "type").
    ModelRegistry(std::string_view family, std::string_view selector, std::vector<Entry> entries)
        : family_(family), selector_(selector), entries_(std::move(entries)) {
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (entries_[i].name == entries_[j].name) {
                    throw std::logic_error(fmt::format("{} registry: duplicate name \"{}\"",
                                                       family_, entries_[i].name));
                }
            }
        }
    }

    std::vector<std::string_view> names() const {
        std::vector<std::string_view> names;
        for (const Entry& entry : entries_) {
            names.push_back(entry.name);
        }
        return names;
    }

    // Reads the selector, then that model's parameters. Returns nothing
    // (after recording a diagnostic) when the name is missing or unknown.
    std::optional<Config> read(ObjectReader& reader) const {
        const auto known = names();
        if (const auto name = reader.selector(selector_, known)) {
            for (const Entry& entry : entries_) {
                if (entry.name == *name) {
                    return entry.read(reader);
                }
            }
        }
        reader.ignore_rest();
        return std::nullopt;
    }

  private:
    std::string family_;
    std::string selector_;
    std::vector<Entry> entries_;
};

}  // namespace cascade
