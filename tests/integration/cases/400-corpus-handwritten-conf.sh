# The attacker's corpus (cases 393 to 399) again, through a Squid whose
# ICAP lines an admin wrote by hand (two plain icap_service lines with
# bypass=off: no CONNECT exclusion, no icap_service_failure_limit, no
# cache deny, no on-overload, Squid's default preview and no 206): the
# service alone must hold every class, not the shipped snippet. Each case
# runs whole in its own run directory, with its own Squid, c-icap and
# origins, and expects exactly the results it expects with the snippet.

SI_NEEDS_MODULE=1

case_main()
{
	local c rc
	for c in 393-multipart-differentials 394-ranges 395-content-encoding \
	    396-hiding-places 397-engine-containers 398-engine-documents \
	    399-engine-number-shapes; do
		si_log "$c through a hand-written squid.conf"
		rc=0
		SI_ICAP_HANDWRITTEN=1 bash "$top_srcdir/tests/integration/run-case" \
		    "$top_srcdir/tests/integration/cases/$c.sh" >&2 || rc=$?
		case $rc in
		0)	;;
		77)	si_log "$c: skipped (its engine is not built)" ;;
		*)	si_fail "$c failed through a hand-written squid.conf" ;;
		esac
	done
}
