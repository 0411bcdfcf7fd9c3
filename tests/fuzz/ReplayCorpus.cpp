// ReplayCorpus.cpp — the main of a fuzz target built without libFuzzer (any compiler): runs
// every file named, and every file under every folder named, through LLVMFuzzerTestOneInput
// once, in name order, as libFuzzer's StandaloneFuzzTargetMain does. CTest runs the corpora so.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

/// The files a replay runs: each argument that is a file, and the regular files under each folder.
std::vector<fs::path> inputsOf(int argc, char** argv) {
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        fs::path arg = argv[i];
        if (!fs::is_directory(arg)) {
            inputs.push_back(arg);
            continue;
        }
        std::vector<fs::path> found;
        for (const auto& entry : fs::recursive_directory_iterator(arg))
            if (entry.is_regular_file()) found.push_back(entry.path());
        std::sort(found.begin(), found.end());
        inputs.insert(inputs.end(), found.begin(), found.end());
    }
    return inputs;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " FILE-OR-FOLDER...   (runs each input once)\n";
        return 2;
    }
    std::vector<fs::path> inputs = inputsOf(argc, argv);
    if (inputs.empty()) {
        std::cerr << argv[0] << ": no inputs: a corpus that is empty tests nothing\n";
        return 1;
    }
    for (const fs::path& input : inputs) {
        std::ifstream in(input, std::ios::binary);
        if (!in) {
            std::cerr << argv[0] << ": cannot read " << input.string() << "\n";
            return 1;
        }
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // Printed first: when an input crashes the replay, the last line names it.
        std::cout << "running " << input.string() << " (" << bytes.size() << " bytes)" << std::endl;
        // A copy of exactly the input's size, so ASan sees a read past its end as libFuzzer would.
        std::vector<uint8_t> data(bytes.begin(), bytes.end());
        LLVMFuzzerTestOneInput(data.data(), data.size());
    }
    std::cout << "replayed " << inputs.size() << " inputs\n";
    return 0;
}
