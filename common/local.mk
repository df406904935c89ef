# common/: the small internal library shared by helper, CA tool, module, tests.
# A libtool convenience library, so it is PIC and can go into the c-icap module.
noinst_LTLIBRARIES += common/libcommon.la
common_libcommon_la_SOURCES = common/attrib.h common/cahealth.h common/cause.c common/cause.h \
	common/cbuf.c common/cbuf.h common/helper.c common/helper.h \
	common/conffile.c common/conffile.h common/log.c common/log.h \
	common/issued.c common/issued.h \
	common/revoked.c common/revoked.h \
	common/serial.c common/serial.h \
	common/slurp.c common/slurp.h \
	common/size.c common/size.h \
	common/tsv.c common/tsv.h

# The LMDB cache shared between processes (certgen's leaves, the eCAP
# front end's verdicts): apart, so that what links libcommon alone needs
# no LMDB.
noinst_LTLIBRARIES += common/libdbcache.la
common_libdbcache_la_SOURCES = common/dbcache.c common/dbcache.h
common_libdbcache_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS)
common_libdbcache_la_LIBADD = $(OPENSSL_LIBS) $(LMDB_LIBS)
