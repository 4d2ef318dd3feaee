#include "recording/support/media_check.hpp"

#include "recording/support/subprocess.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace conf::test {

namespace {

using namespace std::chrono_literals;

double parse_double(const std::string& text, double fallback) {
    try {
        std::size_t used = 0;
        double value = std::stod(text, &used);
        return used > 0 ? value : fallback;
    } catch (...) {
        return fallback; // "N/A"
    }
}

} // namespace

const ProbedStream* ProbedFile::stream(const std::string& type) const {
    for (const ProbedStream& s : streams) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

ProbedFile ffprobe(const std::filesystem::path& file) {
    ProbedFile probed;
    ProcessOutput info =
        run_process({"ffprobe", "-v", "error", "-count_frames", "-show_entries",
                     "format=duration:stream=codec_type,codec_name,nb_read_frames,start_time",
                     "-of", "default=noprint_wrappers=0", file.string()},
                    60s);
    if (info.exit_code != 0) {
        probed.error = info.err.empty() ? "ffprobe failed" : info.err;
        return probed;
    }
    std::istringstream lines(info.out);
    std::string line;
    ProbedStream* current = nullptr;
    while (std::getline(lines, line)) {
        if (line == "[STREAM]") {
            current = &probed.streams.emplace_back();
            continue;
        }
        if (line.starts_with("[/")) {
            current = nullptr;
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        std::string key = line.substr(0, eq);
        std::string value = line.substr(eq + 1);
        if (current != nullptr && key == "codec_type") {
            current->type = value;
        } else if (current != nullptr && key == "codec_name") {
            current->codec = value;
        } else if (current != nullptr && key == "start_time") {
            current->start_time = parse_double(value, -1);
        } else if (current != nullptr && key == "nb_read_frames") {
            current->frames = static_cast<std::int64_t>(parse_double(value, -1));
        } else if (current == nullptr && key == "duration") {
            probed.duration = parse_double(value, -1);
        }
    }

    // Packet timestamps: an interrupted Matroska file has no container duration, but every
    // packet still carries its time.
    ProcessOutput packets =
        run_process({"ffprobe", "-v", "error", "-show_entries", "packet=pts_time,duration_time",
                     "-of", "csv=p=0", file.string()},
                    60s);
    double first = std::numeric_limits<double>::max();
    double last = -1;
    std::istringstream rows(packets.out);
    while (std::getline(rows, line)) {
        auto comma = line.find(',');
        double pts = parse_double(line.substr(0, comma), -1e9);
        if (pts < -1e8) {
            continue;
        }
        double duration = comma == std::string::npos ? 0 : parse_double(line.substr(comma + 1), 0);
        first = std::min(first, pts);
        last = std::max(last, pts + duration);
    }
    if (last >= 0 && first <= last) {
        probed.packet_span = last - first;
    }
    probed.ok = true;
    return probed;
}

std::string sha256sum(const std::filesystem::path& file) {
    ProcessOutput out = run_process({"sha256sum", file.string()}, 60s);
    if (out.exit_code != 0) {
        return {};
    }
    return out.out.substr(0, out.out.find(' '));
}

} // namespace conf::test
