#pragma once
// Parameter grids for `cascade sweep`: one axis per swept scenario value,
// addressed by JSON pointer; several axes form a Cartesian product.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace cascade {

struct GridAxis {
    std::string pointer;         // e.g. "/venue/maintenance_margin"
    std::vector<double> values;  // in the order given
    std::string text;            // as written on the command line, for messages
};

// Parses "POINTER=SPEC", SPEC being one of
//   start:stop:step        start, start + step, ... up to stop inclusive
//                          (to within 1e-9 of a step); step may be negative
//   log:start:stop:count   count values spaced evenly in log between start and
//                          stop, both ends included (start, stop > 0)
//   a,b,c                  a list (or a single value)
// Throws InputError naming the option for anything else, for a non-finite
// value, an empty range, or more than 10,000 values.
GridAxis parse_grid_axis(std::string_view text);

// The Cartesian product, row-major (the last axis varies fastest).
struct Grid {
    std::vector<GridAxis> axes;

    std::vector<std::size_t> shape() const;
    std::size_t points() const;
    // The index along each axis of flat point `point`.
    std::vector<std::size_t> coordinates(std::size_t point) const;
    // The overrides that make the base scenario into grid point `point`.
    std::vector<Override> overrides(std::size_t point) const;
    // "/venue/maintenance_margin=0.01, /venue/liquidation_penalty=0.02"
    std::string describe(std::size_t point) const;
};

// A number as JSON text that reads back as the same double.
std::string exact_json_number(double value);

}  // namespace cascade
