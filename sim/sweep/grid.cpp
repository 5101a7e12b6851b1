#include "sim/sweep/grid.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "sim/errors.hpp"

namespace cascade {
namespace {

constexpr std::size_t kMaxAxisValues = 10'000;

[[noreturn]] void bad_grid(std::string_view text, const std::string& message) {
    throw InputError({Diagnostic{fmt::format("--grid {}", text), "", message}});
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

double number(std::string_view grid_text, std::string_view text) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
        bad_grid(grid_text, fmt::format("expected a number, got \"{}\"", text));
    }
    if (!std::isfinite(value)) {
        bad_grid(grid_text, fmt::format("expected a finite number, got \"{}\"", text));
    }
    return value;
}

}  // namespace

std::string exact_json_number(double value) {
    if (value == std::floor(value) && std::abs(value) < 1e15) {
        return fmt::format("{:.0f}", value);
    }
    return fmt::format("{:.17g}", value);
}

GridAxis parse_grid_axis(std::string_view text) {
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0 || text[0] != '/') {
        bad_grid(text,
                 "expected /json/pointer=VALUES (VALUES: start:stop:step, "
                 "log:start:stop:count, or a,b,c)");
    }
    GridAxis axis;
    axis.pointer = std::string(text.substr(0, equals));
    axis.text = std::string(text);
    const std::string_view spec = text.substr(equals + 1);
    const std::vector<std::string_view> colon = split(spec, ':');
    if (colon.size() == 4 && colon[0] == "log") {
        const double start = number(text, colon[1]);
        const double stop = number(text, colon[2]);
        const double count = number(text, colon[3]);
        if (!(start > 0.0 && stop > 0.0)) {
            bad_grid(text, "a log range needs start > 0 and stop > 0");
        }
        if (!(count >= 2 && count <= kMaxAxisValues && count == std::floor(count))) {
            bad_grid(text,
                     fmt::format("a log range needs a whole count in [2, {}]", kMaxAxisValues));
        }
        const auto n = static_cast<std::size_t>(count);
        for (std::size_t i = 0; i < n; ++i) {
            const double t = static_cast<double>(i) / static_cast<double>(n - 1);
            axis.values.push_back(i + 1 == n ? stop : start * std::exp(t * std::log(stop / start)));
        }
    } else if (colon.size() == 3) {
        const double start = number(text, colon[0]);
        const double stop = number(text, colon[1]);
        const double step = number(text, colon[2]);
        if (step == 0.0 || (stop - start) * step < 0.0) {
            bad_grid(text, "the step must be non-zero and lead from start to stop");
        }
        const double steps = std::floor((stop - start) / step + 1e-9);
        if (!(steps + 1 <= kMaxAxisValues)) {
            bad_grid(text, fmt::format("more than {} values", kMaxAxisValues));
        }
        for (std::size_t i = 0; i <= static_cast<std::size_t>(steps); ++i) {
            axis.values.push_back(start + static_cast<double>(i) * step);
        }
    } else if (colon.size() == 1) {
        for (std::string_view item : split(spec, ',')) {
            axis.values.push_back(number(text, item));
        }
        if (axis.values.size() > kMaxAxisValues) {
            bad_grid(text, fmt::format("more than {} values", kMaxAxisValues));
        }
    } else {
        bad_grid(text, "expected start:stop:step, log:start:stop:count, or a,b,c");
    }
    return axis;
}

std::vector<std::size_t> Grid::shape() const {
    std::vector<std::size_t> dims;
    for (const GridAxis& axis : axes) {
        dims.push_back(axis.values.size());
    }
    return dims;
}

std::size_t Grid::points() const {
    std::size_t n = 1;
    for (const GridAxis& axis : axes) {
        n *= axis.values.size();
    }
    return n;
}

std::vector<std::size_t> Grid::coordinates(std::size_t point) const {
    std::vector<std::size_t> index(axes.size());
    for (std::size_t a = axes.size(); a-- > 0;) {
        index[a] = point % axes[a].values.size();
        point /= axes[a].values.size();
    }
    return index;
}

std::vector<Override> Grid::overrides(std::size_t point) const {
    const std::vector<std::size_t> index = coordinates(point);
    std::vector<Override> out;
    for (std::size_t a = 0; a < axes.size(); ++a) {
        const double value = axes[a].values[index[a]];
        out.push_back({axes[a].pointer, exact_json_number(value),
                       fmt::format("--grid {} (value {:g})", axes[a].text, value)});
    }
    return out;
}

std::string Grid::describe(std::size_t point) const {
    const std::vector<std::size_t> index = coordinates(point);
    std::string text;
    for (std::size_t a = 0; a < axes.size(); ++a) {
        text +=
            fmt::format("{}{}={:g}", a == 0 ? "" : ", ", axes[a].pointer, axes[a].values[index[a]]);
    }
    return text;
}

}  // namespace cascade
