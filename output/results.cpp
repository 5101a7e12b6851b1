#include "output/results.hpp"

#include <algorithm>
#include <stdexcept>

namespace cascade {
namespace {
template <class Item>
const Item& find_named(const std::vector<Item>& items, const std::string& name, const char* what) {
    const auto it = std::find_if(items.begin(), items.end(),
                                 [&](const Item& item) { return item.info.name == name; });
    if (it == items.end()) {
        throw std::out_of_range(std::string("no ") + what + " named " + name);
    }
    return *it;
}
}  // namespace

const PathColumn& Results::path_column(const std::string& name) const {
    return find_named(paths, name, "path column");
}

const Metric& Results::metric(const std::string& name) const {
    return find_named(metrics, name, "metric");
}

}  // namespace cascade
