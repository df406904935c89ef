# sslinspect-lists update installs a set of category lists in the UT1
# layout from a directory, a tar.gz (whose category links become aliases)
# and a URL (libcurl, from a local HTTP server); bad lines are named with
# file and line and skipped, or fail the update with --strict; a failed
# update leaves the installed set alone; a running helper answers from the
# new set within seconds, with no restart. The seed lists install.

case_main()
{
	local cli=$top_builddir/categories/sslinspect-lists
	local acl=$top_builddir/categories/sslinspect-category-acl
	local db=$T/lib/categories.mdb out port i
	if [ ! -x "$cli" ] || [ ! -x "$acl" ]; then
		si_fail "sslinspect-lists not built"
	fi

	out=$("$cli" --help) || si_fail "--help exited $?"
	si_assert_match "$out" "usage: sslinspect-lists" "--help on stdout"
	"$cli" frob > /dev/null 2>&1
	si_assert_eq "$?" 2 "unknown command"

	# The shipped seed lists.
	out=$("$cli" -d "$db" update "$top_srcdir/categories/seed") ||
	    si_fail "seed lists refused: $out"
	out=$("$cli" -d "$db" lookup www.paypal.com cdc.gov example.com)
	si_assert_match "$out" $'www.paypal.com\tfinance' "seed finance"
	si_assert_match "$out" $'cdc.gov\tgovernment,health' "seed, two categories"
	si_assert_match "$out" $'example.com\t-' "seed, unlisted"

	# A directory holding blacklists/ (UT1's archive unpacks so), with a
	# bad line in each list file.
	mkdir -p "$T/src/blacklists/bank" "$T/src/blacklists/publicite"
	printf 'bank.example\nBAD..NAME\nmybank.example.\n' > "$T/src/blacklists/bank/domains"
	printf 'portal.example/banking\nportal.example/x y\n' > "$T/src/blacklists/bank/urls"
	printf 'ads.example\n' > "$T/src/blacklists/publicite/domains"
	ln -s publicite "$T/src/blacklists/ads"
	printf 'A list of lists\n' > "$T/src/blacklists/README"
	out=$("$cli" -d "$db" update "$T/src" 2>&1) || si_fail "directory refused: $out"
	si_assert_match "$out" "bank/domains:2: empty label" "bad domains line named"
	si_assert_match "$out" "bank/urls:2: more than one word" "bad urls line named"
	out=$("$cli" -d "$db" lookup www.bank.example mybank.example \
	    https://portal.example/banking/login ads.example)
	si_assert_match "$out" $'www.bank.example\tbank' "dir: domain"
	si_assert_match "$out" $'mybank.example\tbank' "dir: trailing dot"
	si_assert_match "$out" $'https://portal.example/banking/login\tbank' "dir: url"
	si_assert_match "$out" $'ads.example\tads,publicite' "dir: linked category"

	# --strict: the bad lines fail it and the installed set stays.
	if out=$("$cli" -d "$db" --strict update "$T/src/blacklists" 2>&1); then
		si_fail "--strict installed a set with bad lines"
	fi
	si_assert_match "$out" "2 bad lines, nothing installed" "--strict"
	si_assert_match "$("$cli" -d "$db" status)" "source: +$T/src\$" "set kept"

	# A tar.gz, as UT1 publishes it, with --only.
	printf 'bank.example\n' > "$T/src/blacklists/bank/domains"
	printf 'portal.example/banking\n' > "$T/src/blacklists/bank/urls"
	tar -C "$T/src" -czf "$T/blacklists.tar.gz" blacklists
	out=$("$cli" -d "$db" --only bank update "$T/blacklists.tar.gz" 2>&1) ||
	    si_fail "tar.gz refused: $out"
	si_assert_match "$("$cli" -d "$db" status)" "categories: +bank$" "--only from a tar.gz"
	out=$("$cli" -d "$db" update "$T/blacklists.tar.gz" 2>&1) ||
	    si_fail "tar.gz refused: $out"
	out=$("$cli" -d "$db" lookup ads.example)
	si_assert_match "$out" $'ads.example\tads,publicite$' "link in the archive: an alias"

	# A URL, from a local HTTP server; a missing one fails and keeps the set.
	mkdir -p "$T/www-lists"
	cp "$T/blacklists.tar.gz" "$T/www-lists/"
	si_port port
	si_spawn http python3 -m http.server --bind 127.0.0.1 \
	    --directory "$T/www-lists" "$port"
	si_wait_port "$port" http
	out=$("$cli" -d "$db" update "http://127.0.0.1:$port/blacklists.tar.gz" 2>&1) ||
	    si_fail "URL refused: $out"
	si_assert_match "$("$cli" -d "$db" status)" "categories: +ads,bank,publicite$" "set from the URL"
	if out=$("$cli" -d "$db" update "http://127.0.0.1:$port/nothing.tar.gz" 2>&1); then
		si_fail "a 404 installed something"
	fi
	si_assert_match "$out" "404" "the HTTP error is named"
	si_assert_match "$("$cli" -d "$db" status)" "source: +http://127.0.0.1:$port/blacklists.tar.gz" "set kept after 404"
	for i in "$T"/lib/*; do
		case $i in
		*download*|*.new.*) si_fail "temporary file left: $i" ;;
		esac
	done

	# A running helper follows the replaced file.
	coproc ACL { "$acl" -c -d "$db"; }
	echo "1 www.bank.example www.bank.example splice bank" >&"${ACL[1]}"
	read -r -t 5 out <&"${ACL[0]}" || si_fail "helper did not answer"
	si_assert_eq "$out" "1 OK category_=bank" "helper before the update"
	printf 'other.example\n' > "$T/src/blacklists/bank/domains"
	"$cli" -q -d "$db" update "$T/src" || si_fail "update under the helper"
	for i in 1 2 3 4 5 6; do
		sleep 0.5
		echo "$i www.bank.example www.bank.example splice bank" >&"${ACL[1]}"
		read -r -t 5 out <&"${ACL[0]}" || si_fail "helper did not answer"
		[ "$out" = "$i ERR" ] && break
	done
	si_assert_eq "$out" "$i ERR" "helper after the update"
	echo "9 other.example other.example splice bank" >&"${ACL[1]}"
	read -r -t 5 out <&"${ACL[0]}" || si_fail "helper did not answer"
	si_assert_eq "$out" "9 OK category_=bank" "helper sees the new entries"
	kill "$ACL_PID" 2>/dev/null || true
}
