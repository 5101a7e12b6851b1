#pragma once
// Import of a real positions snapshot:
//
//   account,side,size,entry_price,collateral[,cohort]
//   0xabc,long,12.5,2010.4,2500
//
// `side` is long or short; `size` is the position in units of the asset (> 0);
// `entry_price` in quote currency (> 0); `collateral` the isolated margin
// posted, in quote currency (> 0); `cohort` an optional name used to group
// accounts in the outputs (default "imported"). Columns may come in any order;
// unknown columns are errors (with a suggestion), as are duplicate account ids.
// Every problem is reported with its line number.
//
// Format details, strict so a bad export fails loudly instead of skewing
// results: UTF-8 only (a leading BOM is skipped); LF or CRLF line endings;
// blank lines and lines whose first non-blank character is '#' are skipped
// (quote an account id that starts with '#'); fields may be double-quoted with
// "" for a quote, but a quoted field cannot span lines; spaces and tabs around
// a value are ignored; column names are case-insensitive, and so are the side
// words; numbers must be finite and > 0 (no "nan", "inf", "+1", "1,5"); an
// empty cohort cell means the default. A header with no rows gives no
// positions.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cascade {

// read_positions_csv refuses larger files: a snapshot this size (over ten
// million rows) is almost certainly the wrong file, and the whole text is
// held in memory while parsing.
inline constexpr std::uintmax_t kMaxPositionsFileBytes = std::uintmax_t{1} << 30;

enum class Side : std::int8_t { long_side = 1, short_side = -1 };

struct ImportedPosition {
    std::string account;
    Side side = Side::long_side;
    double size = 0.0;
    double entry_price = 0.0;
    double collateral = 0.0;
    std::string cohort;
    std::size_t line = 0;  // in the CSV file, for messages about this position
};

// Throws InputError listing every bad row ("FILE: line 12: size: expected a
// positive number, got \"abc\""), at most 50 of them, plus a count of the rest.
std::vector<ImportedPosition> read_positions_csv(const std::filesystem::path& file);

// Same, from text in memory; `source` names it in messages.
std::vector<ImportedPosition> parse_positions_csv(std::string_view text, const std::string& source);

}  // namespace cascade
