#include "sim/errors.hpp"

namespace cascade {
namespace {
std::string join(const std::vector<Diagnostic>& diagnostics) {
    std::string text;
    for (const auto& d : diagnostics) {
        if (!text.empty()) {
            text += '\n';
        }
        text += d.to_string();
    }
    return text;
}
}  // namespace

std::string Diagnostic::to_string() const {
    std::string text;
    for (const std::string* part : {&source, &location}) {
        if (!part->empty()) {
            text += *part;
            text += ": ";
        }
    }
    return text + message;
}

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(const std::string& message)
    : std::runtime_error(message), diagnostics_{Diagnostic{"", "", message}} {}

}  // namespace cascade
