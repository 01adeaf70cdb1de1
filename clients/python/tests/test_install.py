"""The package installs without a package index, as the README shows, and works from where it was installed."""
import os
import sys
import unittest

import support


class InstallTest(unittest.TestCase):
    def test_pip_installs_it_offline_and_the_installed_copy_imports(self) -> None:
        target = os.path.join(support.temp_dir(self, "tt-install"), "site")
        env = support.clean_env(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONPATH=None)
        support.run([sys.executable, "-m", "pip", "install", "--no-index", "--target", target, support.PACKAGE_ROOT], env=env, timeout=300)
        probe = ("import tradetrail, sys; print(tradetrail.__file__); "
                 "from tradetrail import AuditNotifier, ProjectEvents, ProjectPrivileges, fast_audit, trigger_audit_dumping, "
                 "log_action, EnhancedJsonAuditSink, JsonAuditSink, FileSink, AuditClient; print(tradetrail.__version__)")
        result = support.run([sys.executable, "-c", probe], env=dict(env, PYTHONPATH=target), cwd=target)
        installed, version = result.stdout.split()
        self.assertTrue(installed.startswith(target), f"imported from the installed copy, not the source: {installed}")
        self.assertEqual(version, "0.1.0")
        self.assertTrue(os.path.exists(os.path.join(target, "tradetrail", "py.typed")), "type hints ship with it")


if __name__ == "__main__":
    unittest.main()
