#include "lib/model/rctl.h"

#include <catch2/catch.hpp>

using namespace jaild::model;

TEST_CASE("rctl: a rule parses into its parts and prints as written", "[model]") {
  std::string problem;
  auto r = parse_rctl_rule("memoryuse:deny=512M", &problem);
  REQUIRE(r);
  CHECK(r->resource == "memoryuse");
  CHECK(r->action == "deny");
  CHECK(r->amount == 512ull << 20);
  CHECK(r->per.empty());
  CHECK(r->to_string() == "memoryuse:deny=512M");

  r = parse_rctl_rule("MaxProc:SigTerm=50/process", &problem);
  REQUIRE(r);
  CHECK(r->resource == "maxproc");
  CHECK(r->action == "sigterm");
  CHECK(r->amount == 50);
  CHECK(r->per == "process");
  CHECK(r->to_string() == "maxproc:sigterm=50/process");
}

TEST_CASE("rctl: every refusal says why", "[model]") {
  std::string problem;
  CHECK_FALSE(parse_rctl_rule("cputime:deny=10", &problem));
  CHECK(problem.find("cannot deny cputime") != std::string::npos);
  CHECK_FALSE(parse_rctl_rule("jail:web:pcpu:deny=10", &problem));
  CHECK(problem.find("subject") != std::string::npos);
  CHECK_FALSE(parse_rctl_rule("memoryuse:throttle=1", &problem));
  CHECK(problem.find("throttle works only") != std::string::npos);
  CHECK_FALSE(parse_rctl_rule("ram:deny=1", &problem));
  CHECK(problem.find("not an RCTL resource") != std::string::npos);
}

TEST_CASE("rctl: the resource list is rctl(8)'s", "[model]") {
  for (const char* r : {"cputime", "datasize", "stacksize", "coredumpsize", "memoryuse",
                        "memorylocked", "maxproc", "openfiles", "vmemoryuse", "pseudoterminals",
                        "swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop",
                        "nshm", "shmsize", "wallclock", "pcpu", "readbps", "writebps", "readiops",
                        "writeiops"}) {
    INFO(r);
    CHECK(is_rctl_resource(r));
  }
  CHECK_FALSE(is_rctl_resource("memory"));
}
