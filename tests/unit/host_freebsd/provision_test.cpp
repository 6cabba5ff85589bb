// Provisioning on FreeBSD: the argv of each step (golden), and the provisioner's
// refusals. Scenarios from seed 001: "classic" extracted from the 13.2-RELEASE
// base.txz into its own ZFS dataset, snapshotted as a template, "shadow"
// cloned from it (thin), and the classic jail removed with chflags -R 0 first.
#include "lib/host/freebsd/provision.h"
#include "lib/host/freebsd/adapter.h"

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

TEST_CASE("provision: releases from local archives and pkgbase, and roots made from them",
          "[host_freebsd]") {
  std::vector<std::string> log{
      "# POST /v1/releases on FreeBSD: 14.1-RELEASE from base.txz and lib32.txz, a pkgbase",
      "# release, then seed 001's shapes from RELEASES_DIR/14.1-RELEASE: classic (thick, ZFS),",
      "# a thin jail (nullfs base + skeleton), and a clone of the release's snapshot"};
  auto add = [&](const std::string& title, const std::vector<command>& plan) {
    log.push_back("== " + title);
    for (const auto& c : plan) {
      std::string line = "run";
      for (const auto& a : c.argv) line += " " + a;
      log.push_back(line);
    }
  };
  const std::string rel = "/var/db/jaild/releases/14.1-RELEASE";
  add("import_release 14.1-RELEASE",
      import_release_plan({"/tmp/14.1/base.txz", {"/tmp/14.1/lib32.txz"}}, rel));
  add("pkgbase_release 15.0-CURRENT",
      pkgbase_release_plan("/var/db/jaild/releases/15.0-CURRENT", {}));
  add("thick classic (ZFS)", thick_root_plan(classic_zfs, rel, false));
  add("thick classic (UFS, pkgbase)",
      thick_root_plan(classic_ufs, "/var/db/jaild/releases/15.0-CURRENT", true));
  add("thin shadow (UFS)", thin_root_plan({"/jail/shadow", root_storage::ufs_directory, ""}, rel));
  add("thin shadow: start", {thin_mount("/jail/shadow", rel)});
  add("thin shadow: stop", {thin_unmount("/jail/shadow")});
  auto clone = release_snapshot_plan("zroot/jaild/releases/14.1-RELEASE");
  for (auto& c : clone_root_plan(shadow_zfs, "zroot/jaild/releases/14.1-RELEASE@jaild"))
    clone.push_back(c);
  add("clone shadow from the release's dataset (its snapshot once, then a clone)", clone);
  add("destroy shadow (thin, UFS: schg files of the skeleton)",
      destroy_root_plan({"/jail/shadow", root_storage::ufs_directory, ""}));
  jaild::test::check_golden("provision_releases.txt", log);

  // Every read-only part of the base is a link into the nullfs mount, and
  // nothing of the jail's own is.
  const auto thin = thin_root_plan({"/jail/shadow", root_storage::ufs_directory, ""}, rel);
  int links = 0;
  for (const auto& c : thin)
    if (c.argv[0] == "/bin/ln") {
      ++links;
      CHECK(c.argv[2].starts_with("/.jaild-base/"));
      CHECK(c.argv[3].substr(std::string("/jail/shadow/").size()) ==
            c.argv[2].substr(std::string("/.jaild-base/").size()));
    }
  CHECK(links == 15);
}

TEST_CASE("provision: a release's MANIFEST gives each archive's digest", "[host_freebsd]") {
  const std::string manifest =
      "base-dbg.txz\t1b7c8e0f0e5a4b2a6d5f4c3b2a190807f6e5d4c3b2a190807f6e5d4c3b2a1908\t3\tbase_dbg\t\"Base "
      "system (Debugging)\"\toff\n"
      "base.txz\te3971a3d4f36ed1ac67d2e7a5501726de79dd3695aa76bfad2a4ebe91a88a134\t26\tbase\t\"Base "
      "system (MANDATORY)\"\ton\n"
      "lib32.txz\tnot-a-digest\t1\tlib32\t\"32-bit compatibility libraries\"\ton\n";
  CHECK(manifest_digest(manifest, "base.txz") ==
        "e3971a3d4f36ed1ac67d2e7a5501726de79dd3695aa76bfad2a4ebe91a88a134");
  CHECK(manifest_digest(manifest, "lib32.txz").empty());  // not 64 hex digits
  CHECK(manifest_digest(manifest, "src.txz").empty());
  CHECK(manifest_digest(manifest, "base").empty());
}

TEST_CASE("provision: the adapter adds releases and makes and removes roots through the port",
          "[host_freebsd]") {
  std::vector<std::string> log{
      "# The Host port's provisioning calls on FreeBSD: 14.1-RELEASE added from a release",
      "# directory (base.txz checked against its MANIFEST, lib32.txz beside it), a thick and a",
      "# thin jail made from it, the thin one started (nullfs base, ledgered) and stopped, both",
      "# removed with chflags -R 0 first, and the release removed"};
  fake_system sys(log);
  jaild::test::recording_ledger ledger(log);
  recording_journal journal;
  freebsd::adapter a{sys, {"/var/db/jaild"}};
  const std::string digest(64, 'e');
  sys.existing_paths = {"/tmp/14.1", "/tmp/14.1/base.txz", "/tmp/14.1/lib32.txz"};
  sys.files["/tmp/14.1/MANIFEST"] = "base.txz\t" + digest + "\t26\tbase\t\"Base system\"\ton\n";
  sys.digests["/tmp/14.1/base.txz"] = digest;
  const std::string rel = "/var/db/jaild/releases/14.1-RELEASE";

  log.push_back("== import_release");
  auto made = a.import_release({"14.1-RELEASE", "/tmp/14.1", rel, ""}, journal);
  CHECK(made.sha256 == digest);
  sys.existing_paths.insert(rel + "/root");
  sys.existing_paths.insert(rel + "/base.txz");

  root_request thick{"classic", model::root_mode::thick, rel, "/jails/classic",
                     "/jails/.jaild/classic"};
  root_request thin{"shadow", model::root_mode::thin, rel, "/jails/shadow", "/jails/.jaild/shadow"};
  log.push_back("== make_root classic (thick)");
  a.make_root(thick, journal);
  log.push_back("== make_root shadow (thin)");
  a.make_root(thin, journal);
  sys.existing_paths.insert("/jails/classic");
  sys.existing_paths.insert("/jails/shadow");

  log.push_back("== start shadow: mount_filesystems");
  jail_context ctx;
  ctx.spec.name = "shadow";
  ctx.spec.path = "/jails/shadow";
  ctx.root = thin;
  step_sinks sinks{journal, ledger};
  a.mount_filesystems(ctx, sinks);
  sys.mounted_list = {{"/jails/shadow/.jaild-base", "nullfs"}};
  log.push_back("== remove_root shadow while its base is mounted: refused, nothing runs");
  CHECK_THROWS_WITH(a.remove_root(thin, journal), Catch::Contains("is still mounted there"));
  log.push_back("== stop shadow: destroy the ledgered mount");
  a.destroy(ledger.live.back(), sinks);
  sys.mounted_list.clear();
  log.push_back("== remove_root classic, shadow");
  a.remove_root(thick, journal);
  a.remove_root(thin, journal);
  log.push_back("== remove_release");
  sys.existing_paths.insert(rel);
  a.remove_release(rel, journal);
  jaild::test::check_golden("provision_adapter.txt", log);

  // A digest that is not the MANIFEST's adds nothing.
  log.clear();
  sys.digests["/tmp/14.1/base.txz"] = std::string(64, '0');
  try {
    a.import_release({"14.1-RELEASE", "/tmp/14.1", rel + "-2", ""}, journal);
    FAIL("imported a base.txz that its MANIFEST does not match");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::invalid_value);
    CHECK(e.field() == "/sha256");
  }
  CHECK(log == std::vector<std::string>{"run /sbin/sha256 -q /tmp/14.1/base.txz"});
  // A path that exists is never filled, and a clone is not made here yet.
  CHECK_THROWS_AS(a.make_root(thick, journal), jaild::error);
  root_request clone = thin;
  clone.path = "/jails/other";
  clone.mode = model::root_mode::clone;
  CHECK_THROWS_AS(a.make_root(clone, journal), jaild::error);
  // Jail root replaced /.jaild-base with a link: the start does not mount.
  sys.symlinks.insert("/jails/shadow/.jaild-base");
  CHECK_THROWS_WITH(a.mount_filesystems(ctx, sinks), Catch::Contains("symbolic link"));
}

TEST_CASE("provision: ZFS snapshots, rollback, send and receive of a root's dataset",
          "[host_freebsd]") {
  std::vector<std::string> log;
  auto line = [&](const command& c) {
    std::string s;
    for (const auto& a : c.argv) s += (s.empty() ? "" : " ") + a;
    log.push_back(s);
  };
  line(snapshot_plan("zroot/jail/classic", "before-upgrade")[0]);
  line(snapshot_list_command("zroot/jail/classic"));
  line(snapshot_rollback_command("zroot/jail/classic", "before-upgrade", false));
  line(snapshot_rollback_command("zroot/jail/classic", "before-upgrade", true));
  line(snapshot_destroy_command("zroot/jail/classic", "before-upgrade"));
  line(zfs_send_command("zroot/jail/classic", "move"));
  line(zfs_receive_command("tank/jails/classic", "/jails/classic"));
  jaild::test::check_golden("provision_snapshots.txt", log);

  // zfs list -H -p: tab-separated, exact numbers; a child's snapshot and a
  // line that does not parse are left out.
  const auto list = parse_snapshot_list(
      "zroot/jail/classic@a\t1700000000\t0\t1048576\n"
      "zroot/jail/classic/child@x\t1700000001\t0\t1\n"
      "zroot/jail/classic@b\t1700000100\t4096\t1052672\n"
      "zroot/jail/classic@c\tnot-a-number\t0\t0\n"
      "garbage\n",
      "zroot/jail/classic");
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "a");
  CHECK(list[0].creation == 1700000000);
  CHECK(list[0].referenced == 1048576u);
  CHECK(list[1].name == "b");
  CHECK(list[1].used == 4096u);

  // Values that zfs would read as options or as a second dataset.
  CHECK_THROWS_AS(snapshot_rollback_command("zroot/jail/classic", "-R", false), jaild::error);
  CHECK_THROWS_AS(snapshot_destroy_command("zroot/jail/classic", "a@b"), jaild::error);
  CHECK_THROWS_AS(snapshot_destroy_command("zroot/jail/classic", "a b"), jaild::error);
  CHECK_THROWS_AS(zfs_send_command("-v zroot", "a"), jaild::error);
  CHECK_THROWS_AS(zfs_receive_command("tank/jails/x", "relative/path"), jaild::error);
  CHECK_THROWS_AS(snapshot_list_command("/zroot"), jaild::error);
}
