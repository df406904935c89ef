# Case 393's attacker corpus (Parser differentials in uploads) through the
# eCAP front end, sslinspect_ecap.so, in place of c-icap: the same
# attempts, the same results expected.
# The front end sees what Squid hands an adapter, not what it sends over
# ICAP, so each differential is met again through the other door.

SI_ECAP=1
. "$top_srcdir/tests/integration/cases/393-multipart-differentials.sh"
