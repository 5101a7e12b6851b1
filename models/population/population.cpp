#include "models/population/population.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>
#include <tbb/parallel_sort.h>

#include "sim/errors.hpp"

namespace cascade {
namespace {

// An account before sorting.
struct Account {
    Side side;
    double size;
    double entry;
    double collateral;
    std::uint32_t cohort;
    std::uint64_t index;
};

struct Builder {
    const VenueConfig& venue;
    double initial_price;
    OverLeverage over_leverage;
    // By side as they are drawn, in drawing order: each book is built from
    // its side alone, so no copy of the whole population is ever split.
    std::vector<Account> longs;
    std::vector<Account> shorts;
    std::vector<CohortSummary> cohorts;
    std::vector<Diagnostic> problems;
    std::uint64_t next_index = 0;

    // Adds one account unless it is already below maintenance at the initial
    // price (the venue would have liquidated it before the scenario starts).
    // `where` locates an imported position ("positions.csv", "line 12"); empty
    // for synthetic accounts.
    void add(Side side, double size, double entry, double collateral, std::uint32_t cohort,
             const Diagnostic& where = {}) {
        const std::uint64_t index = next_index++;
        CohortSummary& summary = cohorts[cohort];
        const double notional = size * entry;
        // Extreme distribution parameters can draw values no double holds.
        const bool representable = std::isfinite(notional) && notional > 0.0 &&
                                   std::isfinite(size) && size > 0.0 && std::isfinite(entry) &&
                                   entry > 0.0 && std::isfinite(collateral) && collateral > 0.0;
        if (!representable) {
            if (problems.size() < 50) {
                problems.push_back(Diagnostic{
                    where.source, where.location.empty() ? "/population" : where.location,
                    fmt::format("{}: size {:g}, entry price {:g}, collateral {:g} is not a "
                                "position a double can hold; narrow the cohort's distributions",
                                where.message.empty()
                                    ? fmt::format("cohort \"{}\": an account", summary.name)
                                    : where.message,
                                size, entry, collateral)});
            }
            return;
        }
        bool clipped = false;
        if (notional > collateral * venue.max_leverage() * (1.0 + 1e-12)) {
            if (over_leverage == OverLeverage::error) {
                if (problems.size() < 50) {
                    const std::string who =
                        where.message.empty()
                            ? fmt::format("cohort \"{}\": an account", summary.name)
                            : where.message;
                    problems.push_back(Diagnostic{
                        where.source, where.location.empty() ? "/population" : where.location,
                        fmt::format("{} with leverage {:.4g} exceeds the venue maximum {:.4g} "
                                    "(1 / initial_margin); lower the leverage, or set "
                                    "/population/over_leverage to \"clip\"",
                                    who, notional / collateral, venue.max_leverage())});
                }
                return;
            }
            collateral = notional / venue.max_leverage();
            clipped = true;
        }
        if (below_maintenance(side, size, entry, collateral, venue, initial_price)) {
            ++summary.excluded;
            return;
        }
        summary.clipped += clipped ? 1 : 0;
        (side == Side::long_side ? longs : shorts)
            .push_back({side, size, entry, collateral, cohort, index});
        ++summary.accounts;
        summary.notional += notional;
        summary.collateral += collateral;
    }
};

SideBook make_book(Side side, std::vector<Account> accounts, const VenueConfig& venue,
                   double initial_price) {
    struct Keyed {
        double log_trigger;
        Account account;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(accounts.size());
    for (const Account& a : accounts) {
        keyed.push_back(
            {log_liquidation_price(side, a.size, a.entry, a.collateral, venue, initial_price), a});
    }
    // The keyed copies are all that is used from here: free the accounts (the
    // caller moved them in) before the sort and the book's columns allocate.
    accounts.clear();
    accounts.shrink_to_fit();
    // The order in which a moving price reaches them; a total order via the index.
    const bool descending = side == Side::long_side;
    tbb::parallel_sort(keyed.begin(), keyed.end(), [descending](const Keyed& a, const Keyed& b) {
        if (a.log_trigger != b.log_trigger) {
            return descending ? a.log_trigger > b.log_trigger : a.log_trigger < b.log_trigger;
        }
        return a.account.index < b.account.index;
    });
    SideBook book;
    book.side = side;
    // Reserved and appended, not resized: no zero-fill of columns about to be
    // overwritten.
    const std::size_t n = keyed.size();
    book.log_trigger.reserve(n);
    book.size.reserve(n);
    book.entry.reserve(n);
    book.collateral.reserve(n);
    book.cohort.reserve(n);
    book.account.reserve(n);
    for (const Keyed& k : keyed) {
        book.log_trigger.push_back(k.log_trigger);
        book.size.push_back(k.account.size);
        book.entry.push_back(k.account.entry);
        book.collateral.push_back(k.account.collateral);
        book.cohort.push_back(k.account.cohort);
        book.account.push_back(k.account.index);
    }
    return book;
}

}  // namespace

Population build_population(const PopulationConfig& config, const VenueConfig& venue,
                            double initial_price, std::uint64_t seed) {
    Builder builder{venue, initial_price, config.over_leverage, {}, {}, {}, {}, 0};
    // The synthetic accounts' number on each side is known: no regrowth while
    // drawing them.
    std::uint64_t synthetic_longs = 0;
    std::uint64_t synthetic_shorts = 0;
    for (const CohortConfig& cohort : config.cohorts) {
        (cohort.side == Side::long_side ? synthetic_longs : synthetic_shorts) += cohort.accounts;
    }
    builder.longs.reserve(synthetic_longs);
    builder.shorts.reserve(synthetic_shorts);
    const StandardNormal normal;
    for (std::size_t c = 0; c < config.cohorts.size(); ++c) {
        const CohortConfig& cohort = config.cohorts[c];
        builder.cohorts.push_back({cohort.name, cohort.side, 0, 0, 0, 0.0, 0.0});
        // One stream per cohort: adding a cohort never changes the others.
        Rng rng = make_stream(seed, c, StreamPurpose::population);
        for (std::uint64_t i = 0; i < cohort.accounts; ++i) {
            const double leverage = sample(cohort.leverage, rng, normal);
            const double notional = sample(cohort.notional, rng, normal);
            const double entry = initial_price * sample(cohort.entry_price, rng, normal);
            builder.add(cohort.side, notional / entry, entry, notional / leverage,
                        static_cast<std::uint32_t>(c));
        }
    }

    Population population;
    population.first_imported = builder.next_index;
    if (config.positions_csv) {
        const auto positions = read_positions_csv(*config.positions_csv);
        const std::string csv = config.positions_csv->string();
        // Imported cohorts by (name, side), in order of first appearance.
        for (const ImportedPosition& p : positions) {
            auto it = std::find_if(
                builder.cohorts.begin() + static_cast<std::ptrdiff_t>(config.cohorts.size()),
                builder.cohorts.end(),
                [&](const CohortSummary& c) { return c.name == p.cohort && c.side == p.side; });
            if (it == builder.cohorts.end()) {
                // One name, one kind of cohort: an imported cohort may not borrow a
                // synthetic cohort's name.
                for (const CohortConfig& synthetic : config.cohorts) {
                    if (synthetic.name == p.cohort) {
                        throw InputError({Diagnostic{
                            csv, fmt::format("line {}", p.line),
                            fmt::format("cohort \"{}\" is also the name of a cohort in "
                                        "/population/cohorts; name imported cohorts apart",
                                        p.cohort)}});
                    }
                }
                builder.cohorts.push_back({p.cohort, p.side, 0, 0, 0, 0.0, 0.0});
                it = builder.cohorts.end() - 1;
            }
            const auto cohort = static_cast<std::uint32_t>(it - builder.cohorts.begin());
            builder.add(p.side, p.size, p.entry_price, p.collateral, cohort,
                        Diagnostic{csv, fmt::format("line {}", p.line),
                                   fmt::format("account \"{}\"", p.account)});
            population.imported_labels.push_back(p.account);
        }
    }
    if (!builder.problems.empty()) {
        throw InputError(builder.problems);
    }

    // Book positions are 32-bit in the engine's per-round lists.
    const std::size_t accounts = builder.longs.size() + builder.shorts.size();
    if (accounts > std::numeric_limits<std::uint32_t>::max()) {
        throw InputError({Diagnostic{"", "/population",
                                     fmt::format("{} accounts; at most {} are supported", accounts,
                                                 std::numeric_limits<std::uint32_t>::max())}});
    }
    // Summed in drawing order (accounts by index), as before the books split them.
    std::size_t next_long = 0;
    std::size_t next_short = 0;
    while (next_long < builder.longs.size() || next_short < builder.shorts.size()) {
        const bool long_next = next_short == builder.shorts.size() ||
                               (next_long < builder.longs.size() &&
                                builder.longs[next_long].index < builder.shorts[next_short].index);
        const Account& a = long_next ? builder.longs[next_long++] : builder.shorts[next_short++];
        population.total_collateral += a.collateral;
        (long_next ? population.total_size_long : population.total_size_short) += a.size;
    }
    // Each book frees its side's accounts as soon as it has keyed them.
    population.longs = make_book(Side::long_side, std::move(builder.longs), venue, initial_price);
    population.shorts =
        make_book(Side::short_side, std::move(builder.shorts), venue, initial_price);
    population.cohorts = std::move(builder.cohorts);
    population.accounts_built = builder.next_index;
    return population;
}

namespace {

class Fnv1a {
  public:
    void bytes(const void* data, std::size_t size) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < size; ++i) {
            hash_ = (hash_ ^ p[i]) * 0x100000001b3ULL;
        }
    }
    template <class T>
    void values(const std::vector<T>& v) {
        value(v.size());
        bytes(v.data(), v.size() * sizeof(T));
    }
    template <class T>
    void value(const T& v) {
        bytes(&v, sizeof v);
    }
    std::uint64_t digest() const { return hash_; }

  private:
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::uint64_t fingerprint(const Population& population) {
    Fnv1a h;
    for (const SideBook* book : {&population.longs, &population.shorts}) {
        h.value(book->side);
        h.values(book->log_trigger);
        h.values(book->size);
        h.values(book->entry);
        h.values(book->collateral);
        h.values(book->cohort);
        h.values(book->account);
    }
    h.value(population.cohorts.size());
    h.value(population.first_imported);
    for (const std::string& label : population.imported_labels) {
        h.value(label.size());
        h.bytes(label.data(), label.size());
    }
    return h.digest();
}

}  // namespace cascade
