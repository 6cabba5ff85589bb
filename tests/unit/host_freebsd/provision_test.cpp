// Provisioning on FreeBSD: the argv of each step (golden), and the provisioner's
// refusals. Scenarios from seed 001: "classic" extracted from the 13.2-RELEASE
// base.txz into its own ZFS dataset, snapshotted as a template, "shadow"
// cloned from it (thin), and the classic jail removed with chflags -R 0 first.
#include "lib/host/freebsd/provision.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"
#include "tests/unit/host_freebsd/fake_system.h"
#include "tests/unit/host_freebsd/golden.h"

using namespace jaild;
using namespace jaild::host;
using namespace jaild::host::freebsd;
using jaild::test::fake_system;
using jaild::test::recording_journal;
using strings = std::vector<std::string>;

namespace {
const release_ref r132{"13.2-RELEASE", "amd64", "http://ftp.freebsd.org/pub/FreeBSD/releases"};
const root_spec classic_zfs{"/jail/classic", root_storage::zfs_dataset, "zroot/jail/classic"};
const root_spec shadow_zfs{"/jail/shadow", root_storage::zfs_dataset, "zroot/jail/shadow"};
const root_spec classic_ufs{"/jail/classic", root_storage::ufs_directory, ""};
}  // namespace

TEST_CASE("provision: the seed's thin jail and destroy, step by step", "[host_freebsd]") {
  std::vector<std::string> log{
      "# seed 001: fetch 13.2-RELEASE base.txz, classic on zroot/jail/classic,",
      "# zfs snapshot zroot/jail/classic@template, zfs clone ... zroot/jail/shadow,",
      "# then remove shadow and classic (ZFS, and classic again on UFS) with chflags -R 0 first"};
  fake_system sys(log);
  provisioner p(sys);
  recording_journal journal;

  log.push_back("== fetch_release");
  const auto base = p.fetch_release("/var/db/jaild/releases", r132, journal);
  CHECK(base == "/var/db/jaild/releases/amd64/13.2-RELEASE/base.txz");
  sys.existing_paths.insert(base);
  log.push_back("== fetch_release again (cached: nothing runs)");
  p.fetch_release("/var/db/jaild/releases", r132, journal);

  log.push_back("== create_root classic (ZFS)");
  p.create_root(classic_zfs, base, journal);
  log.push_back("== snapshot template");
  p.snapshot("zroot/jail/classic", "template", journal);
  log.push_back("== clone_root shadow (thin)");
  p.clone_root(shadow_zfs, "zroot/jail/classic@template", journal);
  // The thin jail goes first: zfs destroy (without -R) refuses a dataset
  // whose snapshot still has clones, so the template cannot go before it.
  log.push_back("== destroy_root shadow (ZFS clone)");
  sys.mounted_list = {{"/jail/classic", "zfs"}, {"/jail/shadow", "zfs"}};
  sys.existing_paths.insert("/jail/classic");
  sys.existing_paths.insert("/jail/shadow");
  p.destroy_root(shadow_zfs, journal);
  log.push_back("== destroy_root classic (ZFS)");
  p.destroy_root(classic_zfs, journal);
  log.push_back("== create_root classic (UFS)");
  sys.mounted_list.clear();
  p.create_root(classic_ufs, base, journal);
  log.push_back("== destroy_root classic (UFS)");
  p.destroy_root(classic_ufs, journal);

  for (const auto& s : journal.steps) {
    INFO(s.step);
    CHECK(s.ok());
    CHECK(s.step.starts_with("provision."));
  }
  CHECK(journal.steps.size() == 19);
  jaild::test::check_golden("provision.txt", log);
}

TEST_CASE("provision: plans", "[host_freebsd]") {
  CHECK(release_url(r132) ==
        "http://ftp.freebsd.org/pub/FreeBSD/releases/amd64/13.2-RELEASE/base.txz");
  CHECK(release_url({"14.1-RELEASE", "arm64/aarch64", "https://download.freebsd.org/releases/"}) ==
        "https://download.freebsd.org/releases/arm64/aarch64/14.1-RELEASE/base.txz");
  auto fetch = fetch_release_plan("/c", r132);
  REQUIRE(fetch.size() == 3);
  CHECK(fetch[1].argv == strings{"/usr/bin/fetch", "-o", "/c/amd64/13.2-RELEASE/base.txz.part",
                                 "http://ftp.freebsd.org/pub/FreeBSD/releases/amd64/13.2-RELEASE/base.txz"});
  CHECK(fetch[2].argv ==
        strings{"/bin/mv", "-f", "/c/amd64/13.2-RELEASE/base.txz.part", "/c/amd64/13.2-RELEASE/base.txz"});
  CHECK(create_root_plan(classic_ufs, "/b.txz")[1].argv ==
        strings{"/usr/bin/tar", "-xpf", "/b.txz", "-C", "/jail/classic", "--unlink"});
  CHECK(clone_root_plan(shadow_zfs, "zroot/jail/classic@template")[0].argv ==
        strings{"/sbin/zfs", "clone", "-o", "mountpoint=/jail/shadow",
                "zroot/jail/classic@template", "zroot/jail/shadow"});
  auto destroy = destroy_root_plan(classic_ufs);
  REQUIRE(destroy.size() == 2);
  CHECK(destroy[0].argv == strings{"/bin/chflags", "-R", "0", "/jail/classic"});
  CHECK(destroy[1].argv == strings{"/bin/rm", "-r", "-f", "-x", "/jail/classic"});
  CHECK(destroy_root_plan(classic_zfs)[1].argv ==
        strings{"/sbin/zfs", "destroy", "-r", "zroot/jail/classic"});
}

TEST_CASE("provision: values that could be read as options or escape are refused",
          "[host_freebsd]") {
  CHECK(check_release(r132).empty());
  CHECK_FALSE(check_release({"-rf", "amd64", "https://x"}).empty());
  CHECK_FALSE(check_release({"13.2-RELEASE", "../etc", "https://x"}).empty());
  CHECK_FALSE(check_release({"13.2-RELEASE", "amd64", "ftp://x"}).empty());
  CHECK(check_root(classic_zfs).empty());
  CHECK_FALSE(check_root({"relative/path", root_storage::ufs_directory, ""}).empty());
  CHECK_FALSE(check_root({"/jail/x", root_storage::zfs_dataset, "-o"}).empty());
  CHECK_FALSE(check_root({"/jail/x", root_storage::zfs_dataset, "zroot//x"}).empty());
  CHECK_FALSE(check_root({"/jail/x", root_storage::zfs_dataset, "zroot/x y"}).empty());
  CHECK(check_snapshot("zroot/jail/classic@template").empty());
  CHECK_FALSE(check_snapshot("zroot/jail/classic").empty());
  CHECK_FALSE(check_snapshot("zroot/jail/classic@").empty());
  CHECK_FALSE(check_snapshot("-zroot@x").empty());
}

TEST_CASE("provision: destroy refuses system directories and live mounts", "[host_freebsd]") {
  CHECK(destroy_refusal({"/", root_storage::ufs_directory, ""}, {}) ==
        "refusing to destroy /: it is a system directory, not a jail's root");
  CHECK_FALSE(destroy_refusal({"/usr/", root_storage::ufs_directory, ""}, {}).empty());
  CHECK(destroy_refusal(classic_ufs, {{"/jail/classicx", "ufs"}}).empty());
  CHECK(destroy_refusal(classic_ufs, {{"/jail/classic/usr/ports", "nullfs"}}) ==
        "refusing to destroy /jail/classic: /jail/classic/usr/ports (nullfs) is still mounted "
        "there; stop the jail and unmount it first");
  CHECK(destroy_refusal(classic_zfs, {{"/jail/classic", "zfs"}}).empty());
  CHECK_FALSE(destroy_refusal(classic_zfs, {{"/jail/classic/dev", "devfs"}}).empty());

  std::vector<std::string> log;
  fake_system sys(log);
  provisioner p(sys);
  recording_journal journal;
  sys.mounted_list = {{"/jail/classic/dev", "devfs"}};
  sys.existing_paths.insert("/jail/classic");
  try {
    p.destroy_root(classic_ufs, journal);
    FAIL("destroyed a root with devfs still mounted");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::jail_running);
  }
  CHECK(log.empty());  // nothing ran
}

TEST_CASE("provision: create refuses a root that exists, and stops at a failed step",
          "[host_freebsd]") {
  std::vector<std::string> log;
  fake_system sys(log);
  provisioner p(sys);
  recording_journal journal;
  sys.existing_paths = {"/b.txz", "/jail/classic/bin"};
  CHECK_THROWS_WITH(p.create_root(classic_ufs, "/b.txz", journal),
                    "/jail/classic already holds a userland; destroy it first");
  sys.existing_paths = {"/b.txz", "zfs:zroot/jail/classic"};
  CHECK_THROWS_WITH(p.create_root(classic_zfs, "/b.txz", journal),
                    "dataset zroot/jail/classic already exists");
  sys.existing_paths = {};
  CHECK_THROWS_WITH(p.create_root(classic_ufs, "/b.txz", journal),
                    "/b.txz is not there: fetch the release first");
  CHECK(log.empty());  // nothing ran (the zfs list query is not logged)
  CHECK_THROWS_AS(p.clone_root(classic_ufs, "zroot/jail/classic@template", journal),
                  jaild::error);

  sys.existing_paths = {"/b.txz"};
  sys.fail_on = "/usr/bin/tar";
  log.clear();
  CHECK_THROWS_WITH(p.create_root(classic_ufs, "/b.txz", journal),
                    Catch::Contains("provision.tar: /usr/bin/tar failed with status 1"));
  REQUIRE(log.size() == 2);  // mkdir, tar; nothing after the failure
  CHECK(journal.steps.back().step == "provision.tar");
  CHECK_FALSE(journal.steps.back().ok());
}
