# conf/: shipped configuration, rule pack, templates, demo data.
evidentconfdir = $(sysconfdir)/evident
dist_evidentconf_DATA = conf/evident.yaml
demodir = $(pkgdatadir)/demo
dist_demo_DATA = conf/demo/auth.log
