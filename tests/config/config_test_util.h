// Helpers for the config tests: a temporary directory that removes itself,
// and access to the racoon known-answer vectors.
#ifndef IPOP_TESTS_CONFIG_CONFIG_TEST_UTIL_H_
#define IPOP_TESTS_CONFIG_CONFIG_TEST_UTIL_H_

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ipop::config::testing {

inline std::string VectorDir() {
  return std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot open test file " + path);
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

inline void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  chmod(path.c_str(), mode);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = std::filesystem::temp_directory_path() / "ipop-config-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Copies node 10.77.0.1's certificate and key and the root CA from the
  // vectors into DIR/certs as cert.pem, key.pem and rootCA.pem, the layout of
  // the IPOP recipe. Returns DIR/certs.
  std::string AddVectorCertificates() const {
    const std::string certs = File("certs");
    std::filesystem::create_directories(certs);
    const std::string source = VectorDir() + "/certs";
    std::filesystem::copy_file(source + "/10.77.0.1/cert.pem", certs + "/cert.pem");
    std::filesystem::copy_file(source + "/10.77.0.1/key.pem", certs + "/key.pem");
    std::filesystem::copy_file(source + "/rootCA.pem", certs + "/rootCA.pem");
    return certs;
  }

 private:
  std::string path_;
};

// Replaces every `from` in `text` with `to`.
inline std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  while (pos != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos = text.find(from, pos + to.size());
  }
  return text;
}

}  // namespace ipop::config::testing

#endif  // IPOP_TESTS_CONFIG_CONFIG_TEST_UTIL_H_
