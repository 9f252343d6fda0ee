"""Tests of kfwizard.kube and the install, verify and teardown steps."""
