// libFuzzer target: the positions CSV importer.
//
// Findings: any crash, sanitizer report, leak, hang, or exception other than
// cascade::InputError; and a position the importer returns that breaks its own
// documented contract (non-empty unique account, finite sizes/prices/collateral
// > 0, a cohort name, a line number inside the text).
#ifdef CASCADE_FUZZ_TARGET

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "models/population/positions_csv.hpp"
#include "sim/errors.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto positions = cascade::parse_positions_csv(text, "fuzz/positions.csv");
        std::size_t lines = 1;
        for (const char c : text) {
            lines += c == '\n' ? 1 : 0;
        }
        std::set<std::string> accounts;
        std::size_t previous_line = 0;
        for (const cascade::ImportedPosition& p : positions) {
            const auto positive = [](double x) { return std::isfinite(x) && x > 0.0; };
            if (p.account.empty() || !accounts.insert(p.account).second) {
                cascade::fuzz::fail("empty or duplicate account \"" + p.account + "\" accepted");
            }
            if (!positive(p.size) || !positive(p.entry_price) || !positive(p.collateral)) {
                cascade::fuzz::fail("a non-positive or non-finite number accepted for account \"" +
                                    p.account + "\"");
            }
            if (p.side != cascade::Side::long_side && p.side != cascade::Side::short_side) {
                cascade::fuzz::fail("bad side for account \"" + p.account + "\"");
            }
            if (p.cohort.empty()) {
                cascade::fuzz::fail("empty cohort name for account \"" + p.account + "\"");
            }
            if (p.line <= previous_line || p.line > lines) {
                cascade::fuzz::fail("line numbers out of order or past the end of the text");
            }
            previous_line = p.line;
        }
    } catch (const cascade::InputError& e) {
        cascade::fuzz::check_input_error(e);
    }
    return 0;
}

#endif  // CASCADE_FUZZ_TARGET
