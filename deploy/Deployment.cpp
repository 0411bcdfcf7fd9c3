// Deployment.cpp — the data model's small behaviours (places, errors, choosing a profile) and
// the Slurm value formats the reader checks (DeploymentFormats.h).
#include "deploy/Deployment.h"
#include "deploy/DeploymentFormats.h"

#include <algorithm>
#include <cctype>

namespace xdml::deploy {

std::string FilePlace::str() const {
    std::string out = file.empty() ? std::string("<deployment>") : file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column > 0 ? column : 1);
    return out;
}

DeployError::DeployError(const FilePlace& place, const std::string& what)
    : std::runtime_error(place.str() + ": error: " + what), at(place), problem(what) {}

const char* placementName(Placement placement) {
    return placement == Placement::Mpi ? "mpi" : "local";
}

const SiteBinding* Profile::binding(const std::string& site) const {
    auto it = sites.find(site);
    return it == sites.end() ? nullptr : &it->second;
}

namespace {

std::string profileNames(const Deployment& d) {
    std::string out;
    for (const auto& [name, p] : d.profiles) out += (out.empty() ? "'" : ", '") + name + "'";
    return out;
}

bool allDigits(const std::string& s) {
    return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "12:30" style fields after the first: each below 60 (minutes, seconds).
bool clockFields(const std::string& s, std::size_t maxFields, bool firstBelow24) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t colon = s.find(':', start);
        parts.push_back(s.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() > maxFields) return false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!allDigits(parts[i])) return false;
        long v = std::stol(parts[i]);
        if (i == 0 && firstBelow24 && v >= 24) return false;
        if (i > 0 && v >= 60) return false;
    }
    return true;
}

}  // namespace

const Profile& Deployment::profile(const std::string& name) const {
    const std::string& wanted = name.empty() ? defaultProfile : name;
    FilePlace top{file.string(), 0, 0};
    if (wanted.empty())
        throw DeployError(top, "no profile named and the file sets no `default`; choose one of " + profileNames(*this));
    auto it = profiles.find(wanted);
    if (it == profiles.end()) {
        std::vector<std::string> names;
        for (const auto& [n, p] : profiles) names.push_back(n);
        std::string near = nearestKey(wanted, names);
        throw DeployError(top, "no profile '" + wanted + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                                   "; the file has " + profileNames(*this));
    }
    return it->second;
}

bool isSlurmMemory(const std::string& text) {
    std::string digits = text;
    if (!digits.empty() && std::string("KMGTkmgt").find(digits.back()) != std::string::npos) digits.pop_back();
    return allDigits(digits) && std::stol(digits) > 0;
}

bool isSlurmTime(const std::string& text) {
    std::size_t dash = text.find('-');
    if (dash == std::string::npos) return clockFields(text, 3, false);
    return allDigits(text.substr(0, dash)) && clockFields(text.substr(dash + 1), 3, true);
}

bool isSlurmWord(const std::string& text) {
    if (text.empty() || text.size() > 256) return false;
    return std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string("-_.,:+@/=").find(static_cast<char>(c)) != std::string::npos;
    });
}

std::string nearestKey(const std::string& key, const std::vector<std::string>& candidates) {
    // Optimal string alignment distance; a candidate is suggested within a third of its length.
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
        for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
        for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i)
            for (std::size_t j = 1; j <= b.size(); ++j) {
                std::size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                   std::tolower(static_cast<unsigned char>(b[j - 1])) ? 0 : 1;
                d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        return d[a.size()][b.size()];
    };
    if (key.size() > 64) return "";
    std::string best;
    std::size_t bestDistance = SIZE_MAX;
    for (const auto& c : candidates) {
        std::size_t dist = distance(key, c);
        if (dist < bestDistance && dist <= std::max<std::size_t>(1, c.size() / 3)) best = c, bestDistance = dist;
    }
    return best;
}

}  // namespace xdml::deploy
