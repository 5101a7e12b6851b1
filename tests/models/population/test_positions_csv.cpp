// The positions importer: a real export's quirks are accepted (BOM, CRLF,
// quotes, comments, any column order), and every mistake is reported with its
// line number instead of being guessed around.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/population/positions_csv.hpp"
#include "sim/errors.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

constexpr const char* kHeader = "account,side,size,entry_price,collateral\n";

// The text of the InputError that parsing `text` throws, or "" if none.
std::string csv_errors_of(const std::string& text) {
    try {
        parse_positions_csv(text, "t.csv");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

// (Not "contains": tests/cli has one, and unity builds put test files together.)
bool mentions(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("a real-world export is read: BOM, CRLF, quotes, comments, blank lines, any order") {
    const std::string text =
        "\xEF\xBB\xBF# snapshot of 2024-05-01, exported by the indexer\r\n"
        "\r\n"
        " Size , \"Collateral\",ACCOUNT,side,entry_price,Cohort\r\n"
        "12.5,2500,0xabc,long,2010.4,whales\r\n"
        "# a comment between rows\r\n"
        "   \r\n"
        "\"3\",\" 150.5 \",\"acct \"\"quoted\"\", with comma\",SHORT,1.5e3,\r\n"
        "0.25 , 10,0xdef, Long ,\"1999\",\"r\xC3\xA9tail \xF0\x9F\x9A\x80\"";  // no final newline
    const auto positions = parse_positions_csv(text, "t.csv");
    REQUIRE(positions.size() == 3);

    CHECK(positions[0].account == "0xabc");
    CHECK(positions[0].side == Side::long_side);
    CHECK(positions[0].size == 12.5);
    CHECK(positions[0].entry_price == 2010.4);
    CHECK(positions[0].collateral == 2500.0);
    CHECK(positions[0].cohort == "whales");

    CHECK(positions[1].account == "acct \"quoted\", with comma");
    CHECK(positions[1].side == Side::short_side);
    CHECK(positions[1].size == 3.0);
    CHECK(positions[1].entry_price == 1500.0);
    CHECK(positions[1].collateral == 150.5);
    CHECK(positions[1].cohort == "imported");  // empty cell: the default

    CHECK(positions[2].account == "0xdef");
    CHECK(positions[2].side == Side::long_side);
    CHECK(positions[2].size == 0.25);
    CHECK(positions[2].cohort == "r\xC3\xA9tail \xF0\x9F\x9A\x80");
}

TEST_CASE("without a cohort column every position is in the default cohort") {
    const auto positions =
        parse_positions_csv(std::string(kHeader) + "a,long,1,2,3\nb,short,4,5,6\n", "t.csv");
    REQUIRE(positions.size() == 2);
    CHECK(positions[0].cohort == "imported");
    CHECK(positions[1].cohort == "imported");
    CHECK(positions[1].side == Side::short_side);
}

TEST_CASE("a header with no rows is zero positions, not an error") {
    CHECK(parse_positions_csv(kHeader, "t.csv").empty());
    CHECK(parse_positions_csv("# nothing yet\naccount,side,size,entry_price,collateral", "t.csv")
              .empty());
}

TEST_CASE("each bad input is reported with its line and what was wrong") {
    struct Case {
        std::string name;
        std::string text;
        std::string expected;  // a fragment of the message, location included
    };
    const std::string h = kHeader;
    const std::vector<Case> cases = {
        {"empty file", "", "t.csv: file is empty (no header row)"},
        {"only a BOM", "\xEF\xBB\xBF", "t.csv: file is empty"},
        {"only comments and blank lines", "# a\n\n  \n# b\n", "t.csv: file is empty"},
        {"missing column", "account,side,size,entry_price\n",
         "t.csv: line 1: missing column \"collateral\""},
        {"unknown column with a suggestion", "account,side,size,entry_price,colateral\n",
         "t.csv: line 1: unknown column \"colateral\" (did you mean \"collateral\"?)"},
        {"unknown column with no close match", h.substr(0, h.size() - 1) + ",leverage\n",
         "t.csv: line 1: unknown column \"leverage\"; expected "
         "account,side,size,entry_price,collateral[,cohort]"},
        {"duplicate column, any case", "account,side,size,entry_price,collateral,Size\n",
         "t.csv: line 1: column \"size\" appears twice (columns 3 and 6)"},
        {"unnamed column", "account,side,size,entry_price,collateral,\n",
         "t.csv: line 1: column 6 has no name (a trailing comma?)"},
        {"too few fields", h + "a,long,1,2,3\nb,long,1,2\n",
         "t.csv: line 3: expected 5 fields, as in the header on line 1, got 4"},
        {"too many fields", "# c\n" + h + "a,long,1,2,3,4\n",
         "t.csv: line 3: expected 5 fields, as in the header on line 2, got 6"},
        {"bad side", h + "a,long,1,2,3\nb,buy,1,2,3\n",
         "t.csv: line 3: side: expected \"long\" or \"short\" (nothing else is accepted), got "
         "\"buy\""},
        {"empty side", h + "a,,1,2,3\n", "t.csv: line 2: side: missing value"},
        {"non-numeric size", h + "a,long,abc,2,3\n",
         "t.csv: line 2: size: expected a positive number, got \"abc\""},
        {"trailing junk", h + "a,long,12abc,2,3\n",
         "t.csv: line 2: size: expected a positive number, got \"12abc\""},
        {"decimal comma", h + "a,long,\"1,5\",2,3\n",
         "t.csv: line 2: size: expected a positive number, got \"1,5\""},
        {"negative", h + "a,long,1,-2,3\n",
         "t.csv: line 2: entry_price: expected a positive number, got \"-2\""},
        {"zero", h + "a,long,1,2,0\n",
         "t.csv: line 2: collateral: expected a positive number, got \"0\""},
        {"nan", h + "a,long,nan,2,3\n",
         "t.csv: line 2: size: expected a positive number, got \"nan\""},
        {"inf", h + "a,long,1,inf,3\n",
         "t.csv: line 2: entry_price: expected a positive number, got \"inf\""},
        {"infinity", h + "a,long,1,2,Infinity\n",
         "t.csv: line 2: collateral: expected a positive number, got \"Infinity\""},
        {"overflow", h + "a,long,1e999,2,3\n",
         "t.csv: line 2: size: expected a positive number, got \"1e999\""},
        {"missing number", h + "a,long,1,,3\n", "t.csv: line 2: entry_price: missing value"},
        {"empty account", h + "\"  \",long,1,2,3\n", "t.csv: line 2: account: missing value"},
        {"duplicate account", h + "0xabc,long,1,2,3\n0xdef,long,1,2,3\n\n0xabc,short,1,2,3\n",
         "t.csv: line 5: account \"0xabc\" also on line 2"},
        {"unterminated quote", h + "\"a,long,1,2,3\n",
         "t.csv: line 2: account: unterminated quoted field"},
        {"stray quote", h + "a,long,1\"0,2,3\n", "t.csv: line 2: size: stray quote in \"1\\\"0\""},
        {"text after a closing quote", h + "a,long,\"1\"0,2,3\n",
         "t.csv: line 2: size: unexpected text after a closing quote: \"0,2,3\""},
        {"CR-only line endings", "account,side,size,entry_price,collateral\ra,long,1,2,3\r",
         "t.csv: line 1: carriage return inside a line"},
        {"invalid UTF-8 (Latin-1)", h + "a,long,1,2,3\n\"caf\xE9\",long,1,2,3\n",
         "t.csv: line 3: not valid UTF-8 (byte 0xe9"},
        {"overlong UTF-8", h + "\xC0\xAF,long,1,2,3\n", "t.csv: line 2: not valid UTF-8"},
        {"UTF-16 surrogate in UTF-8", h + "\xED\xA0\x80,long,1,2,3\n",
         "t.csv: line 2: not valid UTF-8"},
        {"truncated UTF-8 at the end", h + "a,long,1,2,3\n\xE2\x82", "t.csv: line 3: not valid"},
        {"UTF-16 file",
         std::string("\xFF\xFE"
                     "a\0c\0",
                     6),
         "t.csv: line 1: the file is UTF-16"},
        {"NUL byte", h + std::string("a,long,1,2,3\0\n", 14), "t.csv: line 2: contains a NUL"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const std::string errors = csv_errors_of(c.text);
        INFO("got: " << errors);
        CHECK(mentions(errors, c.expected));
    }
}

TEST_CASE("a typo in the header is reported once, not also as a missing column") {
    const std::string errors = csv_errors_of("account,side,size,entry_price,colateral\n");
    CHECK(mentions(errors, "did you mean \"collateral\""));
    CHECK_FALSE(mentions(errors, "missing column"));
}

TEST_CASE("every bad row is reported, and all problems of one row") {
    const std::string errors = csv_errors_of(std::string(kHeader) +
                                         "a,long,1,2,3\n"
                                         "b,sideways,-1,2,3\n"
                                         "c,short,1,2,3\n"
                                         "d,short,x,y\n");
    CHECK(mentions(errors, "t.csv: line 3: side:"));
    CHECK(mentions(errors, "t.csv: line 3: size:"));
    CHECK(mentions(errors, "t.csv: line 5: expected 5 fields"));
    CHECK_FALSE(mentions(errors, "line 2"));
    CHECK_FALSE(mentions(errors, "line 4"));
}

TEST_CASE("at most 50 problems are listed, then a count of the rest") {
    std::string text = kHeader;
    for (int i = 0; i < 60; ++i) {
        text += fmt::format("acct{},long,bad,2,3\n", i);
    }
    try {
        parse_positions_csv(text, "t.csv");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        REQUIRE(e.diagnostics().size() == 51);
        CHECK(e.diagnostics()[0].location == "line 2");
        CHECK(e.diagnostics()[0].message == "size: expected a positive number, got \"bad\"");
        CHECK(e.diagnostics()[49].location == "line 51");
        CHECK(e.diagnostics()[50].message == "... and 10 more problems");
        CHECK(mentions(e.what(), "t.csv: ... and 10 more problems"));
    }
}

TEST_CASE("a huge bad value is cut short in the message") {
    const std::string errors =
        csv_errors_of(std::string(kHeader) + "a,long," + std::string(100000, '9') + "x,2,3\n");
    CHECK(mentions(errors, "size: expected a positive number, got \"9999"));
    CHECK(errors.size() < 200);
}

TEST_CASE("file problems are reported by read_positions_csv") {
    test::TempDir dir;

    SUBCASE("a good file") {
        const auto file = dir.write("p.csv",
                                    "account,side,size,entry_price,collateral,cohort\n"
                                    "0xabc,short,2,100,50,desk\n");
        const auto positions = read_positions_csv(file);
        REQUIRE(positions.size() == 1);
        CHECK(positions[0].cohort == "desk");
    }
    SUBCASE("errors name the file") {
        const auto file = dir.write("p.csv", std::string(kHeader) + "a,long,1,2,abc\n");
        CHECK_THROWS_WITH_AS(
            read_positions_csv(file),
            doctest::Contains(
                (file.string() + ": line 2: collateral: expected a positive number").c_str()),
            InputError);
    }
    SUBCASE("missing file") {
        const auto file = dir / "nope.csv";
        CHECK_THROWS_WITH_AS(read_positions_csv(file), (file.string() + ": no such file").c_str(),
                             InputError);
    }
    SUBCASE("a directory") {
        CHECK_THROWS_WITH_AS(
            read_positions_csv(dir.path()),
            (dir.path().string() + ": is a directory; expected a positions CSV file").c_str(),
            InputError);
    }
    SUBCASE("an empty file") {
        const auto file = dir.write("empty.csv", "");
        CHECK_THROWS_WITH_AS(read_positions_csv(file),
                             doctest::Contains((file.string() + ": file is empty").c_str()),
                             InputError);
    }
    SUBCASE("a file over the size limit is refused") {
        const auto file = dir.write("huge.csv", "");
        // Sparse: costs no disk, and the size is checked before anything is read.
        std::filesystem::resize_file(file, kMaxPositionsFileBytes + 1);
        CHECK_THROWS_WITH_AS(read_positions_csv(file),
                             doctest::Contains("the limit for a positions file"), InputError);
    }
}

}  // namespace cascade
