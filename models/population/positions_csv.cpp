#include "models/population/positions_csv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "sim/errors.hpp"
#include "sim/scenario/json_reader.hpp"

namespace cascade {
namespace {

namespace fs = std::filesystem;

// Column order here is only for lookups; the file may use any order.
enum Column : std::size_t { kAccount, kSide, kSize, kEntryPrice, kCollateral, kCohort, kColumns };
constexpr std::array<std::string_view, kColumns> kColumnNames = {
    "account", "side", "size", "entry_price", "collateral", "cohort"};
constexpr std::size_t kRequiredColumns = kCohort;  // every column before cohort
constexpr std::string_view kExpectedHeader = "account,side,size,entry_price,collateral[,cohort]";
constexpr std::string_view kDefaultCohort = "imported";
constexpr std::size_t kMaxReported = 50;
// Values longer than this are cut in messages, so one huge field cannot
// produce a huge message.
constexpr std::size_t kMaxQuoted = 40;

// Problems found so far: the first kMaxReported kept, the rest only counted,
// so a file that is wrong on every row still costs bounded memory.
class Problems {
  public:
    explicit Problems(const std::string& source) : source_(source) {}

    void add(std::size_t line, std::string message) {
        if (items_.size() < kMaxReported) {
            items_.push_back(Diagnostic{source_, fmt::format("line {}", line), std::move(message)});
        } else {
            ++unreported_;
        }
    }
    bool empty() const { return items_.empty(); }

    void throw_if_any() {
        if (items_.empty()) {
            return;
        }
        if (unreported_ > 0) {
            items_.push_back(Diagnostic{source_, "",
                                        fmt::format("... and {} more problem{}", unreported_,
                                                    unreported_ == 1 ? "" : "s")});
        }
        throw InputError(std::move(items_));
    }

  private:
    const std::string& source_;
    std::vector<Diagnostic> items_;
    std::size_t unreported_ = 0;
};

[[noreturn]] void fail(const std::string& source, std::string location, std::string message) {
    throw InputError({Diagnostic{source, std::move(location), std::move(message)}});
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// A value as shown in a message: quoted, cut short, control bytes escaped.
// The text is already known to be valid UTF-8, so only the cut needs care.
std::string in_quotes(std::string_view value) {
    bool cut = false;
    if (value.size() > kMaxQuoted) {
        std::size_t end = kMaxQuoted;
        while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
            --end;  // do not split a multi-byte character
        }
        value = value.substr(0, end);
        cut = true;
    }
    std::string out = "\"";
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7F) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
    }
    out += cut ? "...\"" : "\"";
    return out;
}

std::size_t line_of(std::string_view text, std::size_t offset) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        line += text[i] == '\n' ? 1 : 0;
    }
    return line;
}

// Offset of the first byte that is not part of well-formed UTF-8 (no overlong
// forms, no surrogates, nothing above U+10FFFF), or npos.
std::size_t first_invalid_utf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char b = s[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            length = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            length = 3;
            low = b == 0xE0 ? 0xA0 : 0x80;   // overlong
            high = b == 0xED ? 0x9F : 0xBF;  // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            length = 4;
            low = b == 0xF0 ? 0x90 : 0x80;   // overlong
            high = b == 0xF4 ? 0x8F : 0xBF;  // above U+10FFFF
        } else {
            return i;
        }
        for (std::size_t k = 1; k < length; ++k) {
            if (i + k >= n) {
                return i;
            }
            const unsigned char c = s[i + k];
            if (k == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xBF)) {
                return i;
            }
        }
        i += length;
    }
    return std::string_view::npos;
}

// Rejects what is not UTF-8 text before any parsing, so a Latin-1 or UTF-16
// export gets one clear message instead of an error on every row.
void check_encoding(std::string_view text, const std::string& source) {
    if (text.size() >= 2 &&
        ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
        fail(source, "line 1",
             "the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
             "save it as UTF-8");
    }
    if (const std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
        fail(source, fmt::format("line {}", line_of(text, bad)),
             fmt::format("not valid UTF-8 (byte 0x{:02x} at offset {}); the file must be "
                         "UTF-8 encoded",
                         static_cast<unsigned char>(text[bad]), bad));
    }
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
        fail(source, fmt::format("line {}", line_of(text, nul)),
             "contains a NUL byte; expected a text file");
    }
}

// Splits one line into fields. Fields are written into `fields[0..count)`,
// reusing their storage from row to row. On a problem, returns a message and
// sets `bad_field` to the field's index.
struct Splitter {
    std::vector<std::string> fields;
    std::size_t count = 0;

    std::optional<std::string> split(std::string_view line, std::size_t& bad_field) {
        count = 0;
        std::size_t i = 0;
        while (true) {
            if (count == fields.size()) {
                fields.emplace_back();
            }
            std::string& field = fields[count];
            field.clear();
            bad_field = count;
            ++count;
            while (i < line.size() && is_space(line[i])) {
                ++i;
            }
            if (i < line.size() && line[i] == '"') {
                ++i;
                while (true) {
                    const std::size_t quote = line.find('"', i);
                    if (quote == std::string_view::npos) {
                        return "unterminated quoted field (a quoted field must end on the same "
                               "line)";
                    }
                    field.append(line.substr(i, quote - i));
                    i = quote + 1;
                    if (i < line.size() && line[i] == '"') {
                        field += '"';  // "" inside quotes is one quote
                        ++i;
                        continue;
                    }
                    break;
                }
                while (i < line.size() && is_space(line[i])) {
                    ++i;
                }
                if (i < line.size() && line[i] != ',') {
                    return fmt::format("unexpected text after a closing quote: {}",
                                       in_quotes(line.substr(i)));
                }
                field.assign(trim(field));
            } else {
                const std::size_t comma = std::min(line.find(',', i), line.size());
                const std::string_view raw = line.substr(i, comma - i);
                if (raw.find('"') != std::string_view::npos) {
                    return fmt::format(
                        "stray quote in {}; quote the whole field and write a quote as \"\"",
                        in_quotes(raw));
                }
                field.assign(trim(raw));
                i = comma;
            }
            if (i >= line.size()) {
                return std::nullopt;
            }
            ++i;  // the comma
        }
    }
};

// Strict: the whole field must be a finite number > 0. from_chars also reads
// "nan" and "inf", which the finiteness check then rejects.
std::optional<double> positive_number(std::string_view text) {
    double value = 0.0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || !std::isfinite(value) || value <= 0.0) {
        return std::nullopt;
    }
    return value;
}

using ColumnIndex = std::array<std::optional<std::size_t>, kColumns>;

// Maps the header's names to columns; throws on any problem, since rows
// cannot be read against a wrong header.
ColumnIndex read_header(const std::vector<std::string>& names, std::size_t count, std::size_t line,
                        const std::string& source) {
    Problems problems(source);
    ColumnIndex index;
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string name = lowercase(names[i]);
        if (name.empty()) {
            problems.add(line, fmt::format("column {} has no name{}", i + 1,
                                           i + 1 == count ? " (a trailing comma?)" : ""));
            continue;
        }
        const auto known = std::find(kColumnNames.begin(), kColumnNames.end(), name);
        if (known == kColumnNames.end()) {
            unknown.push_back(name);
            continue;
        }
        auto& slot = index[static_cast<std::size_t>(known - kColumnNames.begin())];
        if (slot) {
            problems.add(line, fmt::format("column \"{}\" appears twice (columns {} and {})", name,
                                           *slot + 1, i + 1));
        } else {
            slot = i;
        }
    }
    // Suggest only columns the header lacks: a typo stands in for a missing one.
    std::vector<std::string_view> absent;
    for (std::size_t c = 0; c < kColumns; ++c) {
        if (!index[c]) {
            absent.push_back(kColumnNames[c]);
        }
    }
    std::vector<std::string> suggested;
    for (const std::string& name : unknown) {
        std::string message = fmt::format("unknown column {}", in_quotes(name));
        // Edit distance costs length squared: only try names of sensible length.
        const auto suggestion = name.size() <= 64 ? closest_match(name, absent) : std::nullopt;
        if (suggestion) {
            message += fmt::format(" (did you mean \"{}\"?)", *suggestion);
            suggested.push_back(*suggestion);
        } else {
            message += fmt::format("; expected {}", kExpectedHeader);
        }
        problems.add(line, std::move(message));
    }
    for (std::size_t c = 0; c < kRequiredColumns; ++c) {
        const bool said =
            std::find(suggested.begin(), suggested.end(), kColumnNames[c]) != suggested.end();
        if (!index[c] && !said) {
            problems.add(line, fmt::format("missing column \"{}\"; expected {}", kColumnNames[c],
                                           kExpectedHeader));
        }
    }
    problems.throw_if_any();
    return index;
}

}  // namespace

std::vector<ImportedPosition> parse_positions_csv(std::string_view text,
                                                  const std::string& source) {
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    check_encoding(text, source);
    if (text.substr(0, kBom.size()) == kBom) {
        text.remove_prefix(kBom.size());
    }

    Problems problems(source);
    Splitter splitter;
    std::optional<ColumnIndex> columns;
    std::size_t header_line = 0;
    std::size_t header_fields = 0;
    std::vector<ImportedPosition> positions;
    std::unordered_map<std::string, std::size_t> account_line;

    std::size_t pos = 0;
    std::size_t line_number = 0;
    while (pos < text.size()) {
        ++line_number;
        const std::size_t newline = std::min(text.find('\n', pos), text.size());
        std::string_view line = text.substr(pos, newline - pos);
        pos = newline + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        const std::string_view content = trim(line);
        if (content.empty() || content.front() == '#') {
            continue;
        }
        if (line.find('\r') != std::string_view::npos) {
            // Either a stray CR or a file with CR-only (classic Mac) line endings.
            problems.add(line_number, "carriage return inside a line; use LF or CRLF line endings");
            if (!columns) {
                break;  // a header with a CR in it cannot be trusted
            }
            continue;
        }

        std::size_t bad_field = 0;
        const auto split_error = splitter.split(line, bad_field);
        if (!columns) {
            if (split_error) {
                fail(source, fmt::format("line {}", line_number),
                     fmt::format("header, column {}: {}", bad_field + 1, *split_error));
            }
            columns = read_header(splitter.fields, splitter.count, line_number, source);
            header_line = line_number;
            header_fields = splitter.count;
            continue;
        }
        const ColumnIndex& index = *columns;
        if (split_error) {
            std::string where = fmt::format("field {}", bad_field + 1);
            for (std::size_t c = 0; c < kColumns; ++c) {
                if (index[c] == bad_field) {
                    where = std::string(kColumnNames[c]);
                }
            }
            problems.add(line_number, fmt::format("{}: {}", where, *split_error));
            continue;
        }
        if (splitter.count != header_fields) {
            problems.add(line_number,
                         fmt::format("expected {} fields, as in the header on line {}, got {}",
                                     header_fields, header_line, splitter.count));
            continue;
        }

        const auto field = [&](Column c) -> const std::string& {
            return splitter.fields[*index[c]];
        };
        bool ok = true;
        const auto problem = [&](std::string message) {
            problems.add(line_number, std::move(message));
            ok = false;
        };
        ImportedPosition p;
        p.line = line_number;

        p.account = field(kAccount);
        if (p.account.empty()) {
            problem("account: missing value");
        } else if (const auto [it, inserted] = account_line.try_emplace(p.account, line_number);
                   !inserted) {
            problem(fmt::format("account {} also on line {}", in_quotes(p.account), it->second));
        }

        const std::string side = lowercase(field(kSide));
        if (side == "long") {
            p.side = Side::long_side;
        } else if (side == "short") {
            p.side = Side::short_side;
        } else if (side.empty()) {
            problem("side: missing value; expected \"long\" or \"short\"");
        } else {
            problem(
                fmt::format("side: expected \"long\" or \"short\" (nothing else is accepted), "
                            "got {}",
                            in_quotes(field(kSide))));
        }

        const std::pair<Column, double ImportedPosition::*> numbers[] = {
            {kSize, &ImportedPosition::size},
            {kEntryPrice, &ImportedPosition::entry_price},
            {kCollateral, &ImportedPosition::collateral}};
        for (const auto& [column, member] : numbers) {
            const std::string& text_value = field(column);
            if (text_value.empty()) {
                problem(fmt::format("{}: missing value; expected a positive number",
                                    kColumnNames[column]));
            } else if (const auto value = positive_number(text_value)) {
                p.*member = *value;
            } else {
                problem(fmt::format("{}: expected a positive number, got {}", kColumnNames[column],
                                    in_quotes(text_value)));
            }
        }

        p.cohort = index[kCohort] && !field(kCohort).empty() ? field(kCohort)
                                                             : std::string(kDefaultCohort);
        // Once anything is wrong the result is discarded: stop keeping rows.
        if (ok && problems.empty()) {
            positions.push_back(std::move(p));
        }
    }

    if (!columns) {
        problems.throw_if_any();
        fail(source, "",
             fmt::format("file is empty (no header row); expected a header such as {}",
                         kExpectedHeader));
    }
    problems.throw_if_any();
    return positions;
}

std::vector<ImportedPosition> read_positions_csv(const std::filesystem::path& file) {
    const std::string source = file.string();
    std::error_code ec;
    const auto status = fs::status(file, ec);
    if (status.type() == fs::file_type::not_found) {
        fail(source, "", "no such file");
    }
    if (ec) {
        fail(source, "", fmt::format("cannot be accessed: {}", ec.message()));
    }
    if (fs::is_directory(status)) {
        fail(source, "", "is a directory; expected a positions CSV file");
    }
    const auto too_large = [&] {
        fail(source, "",
             fmt::format("is larger than {} MiB, the limit for a positions file",
                         kMaxPositionsFileBytes >> 20));
    };
    std::uintmax_t expected_size = 0;
    if (fs::is_regular_file(status)) {
        expected_size = fs::file_size(file, ec);
        if (!ec && expected_size > kMaxPositionsFileBytes) {
            too_large();
        }
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        fail(source, "", "cannot be opened for reading");
    }
    std::string text;
    if (!ec) {
        text.reserve(static_cast<std::size_t>(expected_size));
    }
    // Read in chunks and check the limit as we go: a pipe or a file that grows
    // while being read has no trustworthy size up front.
    std::array<char, 1 << 16> chunk;
    while (in) {
        in.read(chunk.data(), chunk.size());
        text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxPositionsFileBytes) {
            too_large();
        }
    }
    if (in.bad()) {
        fail(source, "", "could not be read");
    }
    return parse_positions_csv(text, source);
}

}  // namespace cascade
