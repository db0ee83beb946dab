// Client ID Metadata Documents (core/oauth/client_metadata_fetcher.hpp),
// fetched from a real HTTPS server on 127.0.0.1 with a certificate made by
// the test: addresses that must not be reached, redirects, the size cap,
// the deadline, documents that do not name themselves, caching as
// Cache-Control says, and clients built from documents by the registry.

#include "core/oauth/client_metadata_fetcher.hpp"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include <Poco/Event.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>

#include "core/oauth/client_registry.hpp"
#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// ---- a certificate and an HTTPS server ---------------------------------------------------

struct Certificate {
  std::string certFile;
  std::string keyFile;
};

std::string pemOf(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(length));
  BIO_free(bio);
  return out;
}

// A self-signed certificate for `name` (also its own CA), written to `dir`.
Certificate makeCertificate(const TempDir& dir, const std::string& name,
                            const std::string& altNames) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x),
                   static_cast<long>(std::random_device{}() & 0x7FFFFFFF));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE"}, {NID_subject_alt_name, altNames}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  Certificate out{dir.file(name + ".crt"), dir.file(name + ".key")};
  std::ofstream(out.certFile) << pemOf(
      [](BIO* b, void* o) { return PEM_write_bio_X509(b, static_cast<X509*>(o)); }, x);
  std::ofstream(out.keyFile) << pemOf(
      [](BIO* b, void* o) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(o), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      key);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

class HttpsServer {
 public:
  HttpsServer(const Certificate& cert, Handler handler) : handler_(std::move(handler)) {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, cert.keyFile, cert.certFile, "",
                               Poco::Net::Context::VERIFY_NONE);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~HttpsServer() {
    release.set();
    server_->stopAll(true);
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

  std::atomic<int> hits{0};
  Poco::Event release;  // lets a stalled handler go

 private:
  struct Adapter : Poco::Net::HTTPRequestHandler {
    explicit Adapter(HttpsServer& s) : server(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      ++server.hits;
      server.handler_(request, response);
    }
    HttpsServer& server;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(HttpsServer& s) : server(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Adapter(server);
    }
    HttpsServer& server;
  };

  Handler handler_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

std::string document(const std::string& url, const std::string& extra = "") {
  return R"J({"client_id":")J" + url +
         R"J(","client_name":"Doc Client","redirect_uris":["http://127.0.0.1/cb"],)J"
         R"J("token_endpoint_auth_method":"none")J" +
         extra + "}";
}

class FetcherTest : public ::testing::Test {
 protected:
  FetcherTest() : cert_(makeCertificate(dir_, "127.0.0.1", "DNS:127.0.0.1,IP:127.0.0.1")) {}

  FetcherOptions options() const {
    FetcherOptions o;
    o.allowHosts = {"127.0.0.1"};
    o.caFile = cert_.certFile;
    o.timeout = 10s;  // generous: only the tests about time set a short one
    return o;
  }
  TempDir dir_;
  Certificate cert_;
};

std::unique_ptr<HttpsServer> documentServer(
    const Certificate& cert, const std::string& cacheControl,
    std::function<std::string(const std::string&)> body = {}) {
  std::shared_ptr<uint16_t> port = std::make_shared<uint16_t>(0);
  auto server = std::make_unique<HttpsServer>(
      cert, [port, cacheControl, body](auto& request, auto& response) {
        const std::string url = "https://127.0.0.1:" + std::to_string(*port) + request.getURI();
        response.setContentType("application/json");
        if (!cacheControl.empty()) response.set("Cache-Control", cacheControl);
        response.send() << (body ? body(url) : document(url));
      });
  *port = server->port();
  return server;
}

// ---- addresses ----------------------------------------------------------------------------

TEST(SpecialUseAddresses, AreRecognised) {
  for (const char* a : {"127.0.0.1",
                        "127.255.255.254",
                        "10.1.2.3",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "0.0.0.0",
                        "0.1.2.3",
                        "192.0.0.8",
                        "192.0.2.1",
                        "198.18.0.1",
                        "198.51.100.7",
                        "203.0.113.9",
                        "224.0.0.1",
                        "239.255.255.250",
                        "240.0.0.1",
                        "255.255.255.255",
                        "::",
                        "::1",
                        "fe80::1",
                        "fc00::1",
                        "fd12:3456::1",
                        "fec0::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1",
                        "::ffff:169.254.169.254",
                        "::127.0.0.1",
                        "2001:db8::1",
                        "64:ff9b::a9fe:a9fe",
                        "2002:a9fe:a9fe::1",
                        "not an address",
                        "",
                        "1.2.3",
                        "localhost"}) {
    EXPECT_TRUE(ClientMetadataFetcher::isSpecialUse(a)) << a;
  }
}

TEST(SpecialUseAddresses, PublicOnesAreNot) {
  for (const char* a :
       {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "192.169.0.1", "100.128.0.1",
        "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(ClientMetadataFetcher::isSpecialUse(a)) << a;
  }
}

TEST(MetadataUrls, WhatNamesADocument) {
  for (const char* u : {"https://app.example/client.json", "https://app.example:8443/oauth/client",
                        "https://app.example/a/b/c"}) {
    EXPECT_TRUE(ClientMetadataFetcher::isMetadataUrl(u)) << u;
  }
  for (const std::string& u :
       std::vector<std::string>{"http://app.example/client.json",
                                "https://app.example",
                                "https://app.example/",
                                "https://app.example/c?x=1",
                                "https://app.example/c#f",
                                "https://user@app.example/c",
                                "https://app.example\\@evil/c",
                                "https://[::1]/c",
                                "https://app.example/a/../c",
                                "https://app.example/./c",
                                "https://app.example:0/c",
                                "https://app.example:70000/c",
                                "https://app.example:/c",
                                "https://app.example:443abc/c",
                                "https://app.example:+443/c",
                                "https://app.example:-1/c",
                                "https://app.example:0x1bb/c",
                                "https:///c",
                                "pc_abcdef",
                                "",
                                "https://app.example/" + std::string(2100, 'a')}) {
    EXPECT_FALSE(ClientMetadataFetcher::isMetadataUrl(u)) << u.substr(0, 60);
  }
}

TEST_F(FetcherTest, LoopbackAndPrivateAddressesAreRefusedUnlessAllowed) {
  auto server = documentServer(cert_, "max-age=60");
  FetcherOptions o = options();
  o.allowHosts.clear();
  ClientMetadataFetcher fetcher(o);
  for (const std::string& host : std::vector<std::string>{"127.0.0.1", "localhost", "127.1",
                                                          "2130706433", "0x7f000001", "0.0.0.0"}) {
    const auto r =
        fetcher.fetch("https://" + host + ":" + std::to_string(server->port()) + "/client.json");
    EXPECT_FALSE(r.ok) << host;
    EXPECT_FALSE(r.error.empty()) << host;
  }
  EXPECT_EQ(server->hits.load(), 0) << "a refused address was contacted";
  // Allowing one host allows that host only.
  o.allowHosts = {"localhost"};
  ClientMetadataFetcher other(o);
  EXPECT_FALSE(other.fetch(server->url("/client.json")).ok);
  EXPECT_EQ(server->hits.load(), 0);
}

TEST_F(FetcherTest, FetchesAValidDocument) {
  auto server = documentServer(cert_, "max-age=60");
  ClientMetadataFetcher fetcher(options());
  const std::string url = server->url("/client.json");
  const auto r = fetcher.fetch(url);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::getString(r.document, "client_id"), url);
  EXPECT_EQ(json::getString(r.document, "client_name"), std::string("Doc Client"));
}

TEST_F(FetcherTest, CachesAsCacheControlAllows) {
  auto server = documentServer(cert_, "public, max-age=60");
  ClientMetadataFetcher fetcher(options());
  ASSERT_TRUE(fetcher.fetch(server->url("/a.json")).ok);
  ASSERT_TRUE(fetcher.fetch(server->url("/a.json")).ok);
  EXPECT_EQ(server->hits.load(), 1);
  ASSERT_TRUE(fetcher.fetch(server->url("/b.json")).ok);
  EXPECT_EQ(server->hits.load(), 2);
}

TEST_F(FetcherTest, NoStoreAndNoCacheAreNotCached) {
  for (const std::string& cc :
       std::vector<std::string>{"no-store", "no-cache", "max-age=60, no-store", "No-Store"}) {
    auto server = documentServer(cert_, cc);
    ClientMetadataFetcher fetcher(options());
    ASSERT_TRUE(fetcher.fetch(server->url("/c.json")).ok) << cc;
    ASSERT_TRUE(fetcher.fetch(server->url("/c.json")).ok) << cc;
    EXPECT_EQ(server->hits.load(), 2) << cc;
  }
}

TEST_F(FetcherTest, AZeroOrBadMaxAgeIsNotCached) {
  for (const std::string& cc : std::vector<std::string>{"max-age=0", "max-age=-5"}) {
    auto server = documentServer(cert_, cc);
    ClientMetadataFetcher fetcher(options());
    ASSERT_TRUE(fetcher.fetch(server->url("/c.json")).ok) << cc;
    ASSERT_TRUE(fetcher.fetch(server->url("/c.json")).ok) << cc;
    EXPECT_EQ(server->hits.load(), 2) << cc;
  }
}

TEST_F(FetcherTest, FailuresAreNotCached) {
  std::atomic<bool> good{false};
  std::shared_ptr<uint16_t> port = std::make_shared<uint16_t>(0);
  HttpsServer server(cert_, [&, port](auto& request, auto& response) {
    if (!good) {
      response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      response.send() << "later";
      return;
    }
    response.set("Cache-Control", "max-age=60");
    response.send() << document("https://127.0.0.1:" + std::to_string(*port) + request.getURI());
  });
  *port = server.port();
  ClientMetadataFetcher fetcher(options());
  EXPECT_FALSE(fetcher.fetch(server.url("/c.json")).ok);
  good = true;
  EXPECT_TRUE(fetcher.fetch(server.url("/c.json")).ok);
}

TEST_F(FetcherTest, RedirectsAreNotFollowed) {
  std::atomic<int> targetHits{0};
  std::shared_ptr<uint16_t> port = std::make_shared<uint16_t>(0);
  HttpsServer server(cert_, [&, port](auto& request, auto& response) {
    const std::string base = "https://127.0.0.1:" + std::to_string(*port);
    if (request.getURI() == "/moved.json") {
      response.redirect(base + "/target.json", Poco::Net::HTTPResponse::HTTP_FOUND);
      return;
    }
    ++targetHits;
    response.send() << document(base + "/moved.json");
  });
  *port = server.port();
  ClientMetadataFetcher fetcher(options());
  for (int i = 0; i < 2; ++i) {
    const auto r = fetcher.fetch(server.url("/moved.json"));
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("302"), std::string::npos) << r.error;
  }
  EXPECT_EQ(targetHits.load(), 0);
}

TEST_F(FetcherTest, OtherStatusesAreRefused) {
  for (int status : {201, 204, 301, 304, 307, 308, 400, 404, 500}) {
    HttpsServer server(cert_, [status](auto&, auto& response) {
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      if (status >= 300 && status < 400) response.set("Location", "https://example.com/");
      response.send() << "{}";
    });
    ClientMetadataFetcher fetcher(options());
    const auto r = fetcher.fetch(server.url("/c.json"));
    EXPECT_FALSE(r.ok) << status;
    EXPECT_NE(r.error.find(std::to_string(status)), std::string::npos) << status << ": " << r.error;
  }
}

TEST_F(FetcherTest, DocumentsOverTheSizeCapAreRefused) {
  FetcherOptions o = options();
  o.maxBytes = 1024;
  auto exact = documentServer(cert_, "", [](const std::string& url) {
    std::string d = document(url, R"J(,"pad":")J");
    return d.substr(0, d.size() - 1) + std::string(1024 - d.size() - 2, 'p') + "\"}";
  });
  ClientMetadataFetcher fetcher(o);
  const auto ok = fetcher.fetch(exact->url("/exact.json"));
  EXPECT_TRUE(ok.ok) << ok.error;

  for (bool chunked : {false, true}) {
    std::shared_ptr<uint16_t> port = std::make_shared<uint16_t>(0);
    HttpsServer big(cert_, [port, chunked](auto& request, auto& response) {
      response.setChunkedTransferEncoding(chunked);
      const std::string d = document(
          "https://127.0.0.1:" + std::to_string(*port) + request.getURI(), R"J(,"pad":")J");
      std::ostream& out = response.send();
      out << d.substr(0, d.size() - 1);
      // Far more than the cap: the fetcher must stop reading, not buffer it.
      const std::string block(64 * 1024, 'p');
      for (int i = 0; i < 64 && out; ++i) out << block;
      out << "\"}";
    });
    *port = big.port();
    const auto r = fetcher.fetch(big.url("/big.json"));
    EXPECT_FALSE(r.ok) << "chunked=" << chunked;
    EXPECT_NE(r.error.find("larger than the limit"), std::string::npos) << r.error;
  }
}

TEST_F(FetcherTest, AServerThatNeverAnswersTimesOut) {
  auto gate = std::make_shared<Poco::Event>();
  HttpsServer server(cert_, [gate](auto&, auto& response) {
    // Stalls (bounded, so the server can stop) without sending anything.
    gate->tryWait(20'000);
    response.send() << "{}";
  });
  FetcherOptions o = options();
  o.timeout = 300ms;
  ClientMetadataFetcher fetcher(o);
  const auto r = fetcher.fetch(server.url("/slow.json"));
  gate->set();
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.error.empty());
}

TEST_F(FetcherTest, ASlowDripIsCutOffAtTheDeadline) {
  // Each byte arrives well within the per-read timeout, but the whole
  // document would take far longer than the fetcher's deadline.
  std::shared_ptr<uint16_t> port = std::make_shared<uint16_t>(0);
  std::atomic<bool> stop{false};
  HttpsServer server(cert_, [port, &stop](auto& request, auto& response) {
    const std::string d = document("https://127.0.0.1:" + std::to_string(*port) + request.getURI());
    response.setContentLength(static_cast<std::streamsize>(d.size()));
    std::ostream& out = response.send();
    for (char c : d) {
      if (stop) break;
      out << c << std::flush;
      std::this_thread::sleep_for(50ms);
      if (!out) break;
    }
  });
  *port = server.port();
  FetcherOptions o = options();
  o.timeout = 500ms;
  ClientMetadataFetcher fetcher(o);
  const auto r = fetcher.fetch(server.url("/drip.json"));
  stop = true;
  EXPECT_FALSE(r.ok) << "a document dripped over ~6 s was accepted with a 500 ms deadline";
}

TEST_F(FetcherTest, TheDocumentMustNameItself) {
  auto wrong = documentServer(cert_, "max-age=60",
                              [](const std::string& url) { return document(url + "x"); });
  ClientMetadataFetcher fetcher(options());
  auto r = fetcher.fetch(wrong->url("/c.json"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("client_id"), std::string::npos) << r.error;
  // Not cached as good either.
  EXPECT_FALSE(fetcher.fetch(wrong->url("/c.json")).ok);

  auto missing = documentServer(cert_, "", [](const std::string&) {
    return R"J({"client_name":"x","redirect_uris":["http://127.0.0.1/cb"]})J";
  });
  EXPECT_FALSE(fetcher.fetch(missing->url("/c.json")).ok);
}

TEST_F(FetcherTest, BodiesThatAreNotJsonObjectsAreRefused) {
  for (const std::string& body : std::vector<std::string>{
           "", "not json", "[1,2]", "\"text\"", "{\"a\":", std::string("{\"a\":\"\0\"}", 9)}) {
    auto server = documentServer(cert_, "", [body](const std::string&) { return body; });
    ClientMetadataFetcher fetcher(options());
    const auto r = fetcher.fetch(server->url("/c.json"));
    EXPECT_FALSE(r.ok) << body;
    EXPECT_FALSE(r.error.empty());
  }
}

TEST_F(FetcherTest, AnUntrustedCertificateIsRefused) {
  auto server = documentServer(cert_, "");
  FetcherOptions o = options();
  o.caFile.clear();  // only the system's CAs
  ClientMetadataFetcher fetcher(o);
  EXPECT_FALSE(fetcher.fetch(server->url("/c.json")).ok);
}

TEST_F(FetcherTest, ACertificateForAnotherNameIsRefused) {
  const Certificate other = makeCertificate(dir_, "other.example", "DNS:other.example");
  std::shared_ptr<uint16_t> port = std::make_shared<uint16_t>(0);
  HttpsServer server(other, [port](auto& request, auto& response) {
    response.send() << document("https://127.0.0.1:" + std::to_string(*port) + request.getURI());
  });
  *port = server.port();
  FetcherOptions o = options();
  o.caFile = other.certFile;
  ClientMetadataFetcher fetcher(o);
  EXPECT_FALSE(fetcher.fetch(server.url("/c.json")).ok);
}

// ---- clients from documents ---------------------------------------------------------------

class MetadataClientTest : public FetcherTest {
 protected:
  MetadataClientTest() : db_(storage::StorageOptions{dir_.file("cimd.db")}) {}
  std::optional<Client> find(const std::string& extra, std::string& problem,
                             const std::string& path = "/c.json") {
    auto server = documentServer(cert_, "no-store",
                                 [extra](const std::string& url) { return document(url, extra); });
    ClientRegistry registry(db_, {}, options(), true);
    return registry.find(server->url(path), problem);
  }
  storage::Database db_;
};

TEST_F(MetadataClientTest, AValidDocumentIsAPublicClient) {
  std::string problem;
  const auto client = find("", problem);
  ASSERT_TRUE(client.has_value()) << problem;
  EXPECT_EQ(client->kind, "cimd");
  EXPECT_EQ(client->name, "Doc Client");
  EXPECT_FALSE(client->confidential());
  EXPECT_EQ(client->redirectUris, std::vector<std::string>{"http://127.0.0.1/cb"});
  // Remembered, for listings and revocation.
  EXPECT_EQ(db_.query("SELECT kind FROM clients").front().text(0), "cimd");
}

TEST_F(MetadataClientTest, DocumentsWithSecretsOrBadMetadataAreRefused) {
  for (const std::string& extra : std::vector<std::string>{R"J(,"client_secret":"s")J",
                                                           R"J(,"client_secret_expires_at":0)J"}) {
    std::string problem;
    EXPECT_FALSE(find(extra, problem)) << extra;
    EXPECT_NE(problem.find("secret"), std::string::npos) << problem;
  }
  std::string problem;
  auto server = documentServer(cert_, "no-store", [](const std::string& url) {
    return R"J({"client_id":")J" + url +
           R"J(","client_name":"C","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"client_secret_basic"})J";
  });
  ClientRegistry registry(db_, {}, options(), true);
  EXPECT_FALSE(registry.find(server->url("/m.json"), problem));
  auto noName = documentServer(cert_, "no-store", [](const std::string& url) {
    return R"J({"client_id":")J" + url + R"J(","redirect_uris":["http://127.0.0.1/cb"]})J";
  });
  EXPECT_FALSE(registry.find(noName->url("/n.json"), problem));
  auto badRedirect = documentServer(cert_, "no-store", [](const std::string& url) {
    return R"J({"client_id":")J" + url +
           R"J(","client_name":"C","redirect_uris":["javascript:alert(1)"]})J";
  });
  EXPECT_FALSE(registry.find(badRedirect->url("/r.json"), problem));
}

// ---- a metadata-document client through the whole authorization flow ---------------------------

namespace flow {

using testing::Browser;
using testing::headerOf;
using testing::hiddenField;
using testing::param;
using testing::queryOf;
using testing::tokenRequest;
using testing::World;
using testing::WorldOptions;

TEST_F(FetcherTest, AMetadataDocumentClientSignsInAndIsWarnedAbout) {
  auto server = documentServer(cert_, "max-age=60");
  const std::string clientId = server->url("/client.json");
  WorldOptions o;
  o.fetcher = options();
  o.metadataDocuments = true;
  World world(o);
  world.addUser("alice", "correct horse battery");
  const std::string verifier(43, 'v');
  Browser b(*world.authorization);
  const auto login = b.get("/oauth/authorize", {{"client_id", clientId},
                                                {"redirect_uri", "http://127.0.0.1:5555/cb"},
                                                {"response_type", "code"},
                                                {"code_challenge", testing::challengeFor(verifier)},
                                                {"code_challenge_method", "S256"}});
  ASSERT_EQ(login.status, 200) << login.body.substr(0, 400);
  EXPECT_NE(login.body.find("Doc Client"), std::string::npos);
  const auto posted = b.post("/oauth/login", {{"csrf", *hiddenField(login.body, "csrf")},
                                              {"flow", *hiddenField(login.body, "flow")},
                                              {"username", "alice"},
                                              {"password", "correct horse battery"}});
  ASSERT_EQ(posted.status, 303);
  const auto consent = b.follow(posted);
  ASSERT_EQ(consent.status, 200);
  // The page says who vouches for the name, and that it returns to this computer.
  EXPECT_NE(consent.body.find("127.0.0.1"), std::string::npos);
  EXPECT_NE(consent.body.find("what that site says"), std::string::npos) << consent.body;
  const auto redirect = b.post("/oauth/consent", {{"csrf", *hiddenField(consent.body, "csrf")},
                                                  {"flow", *hiddenField(consent.body, "flow")},
                                                  {"decision", "approve"}});
  ASSERT_EQ(redirect.status, 303);
  const std::string code = *param(queryOf(*headerOf(redirect, "Location")), "code");
  const auto token =
      world.authorization->handle(tokenRequest({{"grant_type", "authorization_code"},
                                                {"code", code},
                                                {"redirect_uri", "http://127.0.0.1:5555/cb"},
                                                {"code_verifier", verifier},
                                                {"client_id", clientId}}));
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 200) << token->body;
  // The document was fetched once for the whole flow (cached as it allows).
  EXPECT_EQ(server->hits.load(), 1);
  // An unregistered redirect for this client gets a page, not a redirect.
  const auto evil = b.get("/oauth/authorize", {{"client_id", clientId},
                                               {"redirect_uri", "https://evil.example/cb"},
                                               {"response_type", "code"},
                                               {"code_challenge", testing::challengeFor(verifier)},
                                               {"code_challenge_method", "S256"}});
  EXPECT_FALSE(headerOf(evil, "Location").has_value());
  EXPECT_EQ(evil.status, 400);
}

TEST_F(FetcherTest, AnUnreachableMetadataDocumentIsAnErrorPage) {
  WorldOptions o;
  o.fetcher = options();
  o.fetcher.allowHosts.clear();
  o.metadataDocuments = true;
  World world(o);
  Browser b(*world.authorization);
  const auto r = b.get("/oauth/authorize", {{"client_id", "https://127.0.0.1:1/client.json"},
                                            {"redirect_uri", "http://127.0.0.1/cb"},
                                            {"response_type", "code"},
                                            {"code_challenge", std::string(43, 'c')},
                                            {"code_challenge_method", "S256"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(headerOf(r, "Location").has_value());
}

}  // namespace flow
}  // namespace
}  // namespace portcullis::oauth
