# Parser differentials in uploads, through real Squid + c-icap to nginx
# (issue 12 §1): what a server may see in a multipart body and the
# service must not miss. Parts labelled base64 or quoted-printable (most
# servers store the bytes as sent, mail-like ones decode them), boundaries
# servers read differently, preamble and epilogue (PHP parses parts after
# the closing delimiter), a bare LF before a delimiter (PHP splits there,
# Go and busboy do not), folded labels, JSON with \u escapes in a part,
# content in a part header (a server that parses nothing stores it), and a
# PE file after a text field under a policy that blocks executables.
# Browser-like forms, a mail-style base64 part and an image still pass.

. "$top_srcdir/tests/integration/corpus-lib.sh"

# mp NAME FORMAT ARGS...: $T/tmp/NAME is the printf of FORMAT, in which
# \r\n must be written out.
mp()
{
	local name=$1 fmt=$2
	shift 2
	# shellcheck disable=SC2059 # the format is the body's
	printf -- "$fmt" "$@" > "$T/tmp/$name"
}

# up WHAT EXPECTED NAME [CONTENT-TYPE]: POST body NAME as multipart with
# boundary B (or CONTENT-TYPE).
up()
{
	cx_upload "$1" "$2" --data-binary "@$T/tmp/$3" \
	    -H "Content-Type: ${4:-multipart/form-data; boundary=B}" "$(si_url /upload)"
}

case_main()
{
	local pe b64card
	printf 'version: 1\nrules:\n  - name: no-executable-uploads\n    match: { direction: upload, file_type: [pe] }\n    action: block\n    reason: Executables may not be uploaded\n' \
	    > "$T/etc/policy.yaml"
	chmod a+r "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml"
	cx_setup
	si_start_all
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	b64card=$(printf 'card %s exp 12/29' "$CX_CARD" | base64)

	mp b64raw '--B\r\nContent-Disposition: form-data; name="f"; filename="e.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n' "$CX_EICAR"
	up "part labelled base64, EICAR sent raw" block b64raw
	mp b64card '--B\r\nContent-Disposition: form-data; name="f"; filename="c.txt"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n' "$b64card"
	up "part labelled base64, card encoded" block b64card
	mp qpcard '--B\r\nContent-Disposition: form-data; name="n"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncard 4111 11=\r\n11 1111 1111\r\n--B--\r\n'
	up "part labelled quoted-printable, card over a soft break" block qpcard
	mp twob '--A\r\nContent-Disposition: form-data; name="x"\r\n\r\nhello\r\n--A--\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="e.com"\r\n\r\n%s\r\n--B--\r\n' "$CX_EICAR"
	up "two boundary parameters (A for one server, B for another)" block twob \
	    "multipart/form-data; boundary=A; boundary=B"
	up "\"boundary\" inside another parameter (PHP reads B)" block twob \
	    'multipart/form-data; x="boundary=B"; boundary=A'
	mp preamble 'card %s\r\n--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nhello\r\n--B--\r\n' "$CX_CARD"
	up "card in the preamble" block preamble
	mp epilogue '--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nhello\r\n--B--\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="e.com"\r\n\r\n%s\r\n--B--\r\n' "$CX_EICAR"
	up "EICAR in a part after the closing delimiter" block epilogue
	# shellcheck disable=SC2016 # EICAR's own '$'
	mp barelf '--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nX5O!P%%@AP[4\\PZX54(P^)7CC)7}\n--B\r\nContent-Disposition: form-data; name="y"\r\n\r\n$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\n--B--\r\n'
	up "a bare LF before a delimiter (PHP splits, Go does not)" block barelf
	mp folded '--B\r\nContent-Disposition: form-data; name="f";\r\n filename="c.txt"\r\nContent-Transfer-Encoding:\r\n base64\r\n\r\n%s\r\n--B--\r\n' "$b64card"
	up "folded base64 label, card encoded" block folded
	mp urlsafe '--B\r\nContent-Disposition: form-data; name="f"\r\nContent-Transfer-Encoding: base64\r\n\r\nY2FyZCA0MTEx-_\r\n--B--\r\n'
	up "base64 with URL-safe characters (Node and Python disagree)" block urlsafe
	mp jsonpart '--B\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n{"card":"\\u0034\\u0031\\u0031\\u0031 1111 1111 1111"}\r\n--B--\r\n'
	up "JSON part, card as \\u escapes" block jsonpart
	mp jsontext '--B\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: text/plain\r\n\r\n{"card":"\\u0034\\u0031\\u0031\\u0031 1111 1111 1111"}\r\n--B--\r\n'
	up "JSON \\u escapes in a part labelled text/plain" block jsontext
	mp delimstart '--B\r\nContent-Disposition: form-data; name="x"\r\n\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="e.com"\r\n\r\n%s\r\n--B--\r\n' "$CX_EICAR"
	up "a part that starts with its delimiter (Go: empty part)" block delimstart
	mp inhead '--B\r\nContent-Disposition: form-data; name="x"\r\nX-Note: %s\r\n\r\nhello\r\n--B--\r\n' "$CX_EICAR"
	up "EICAR in a part header (stored whole by a server that parses nothing)" block inhead
	mp nested '--B\r\nContent-Disposition: form-data; name="files"\r\nContent-Type: multipart/mixed; boundary=C\r\n\r\n--C\r\nX-Note: %s\r\n\r\nx\r\n--C--\r\n--B--\r\n' "$CX_EICAR"
	up "EICAR in a nested part's header" block nested
	mp dupctype '--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nhello\r\n--B--\r\n'
	cx_upload "two different Content-Type headers" block --data-binary "@$T/tmp/dupctype" \
	    -H "Content-Type: multipart/form-data; boundary=B" -H "Content-Type: text/plain" \
	    "$(si_url /upload)"
	pe=$T/tmp/a.exe
	{ printf 'MZ\220\0\3\0\0\0\4\0\0\0\377\377\0\0'; head -c 2000 /dev/zero; } > "$pe"
	cx_upload "a text field, then a PE file (policy blocks pe)" block \
	    -F "comment=see the attachment" -F "file=@$pe;type=text/plain" "$(si_url /upload)"

	# What must keep working.
	printf 'meeting notes, nothing secret\n' > "$T/tmp/notes.txt"
	cx_upload "browser-like form with fields and a text file" pass \
	    -F "title=notes" -F "tags=a,b" -F "file=@$T/tmp/notes.txt" "$(si_url /upload)"
	mp mailb64 '--B\r\nContent-Disposition: form-data; name="f"; filename="n.txt"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n' \
	    "$(base64 < "$T/tmp/notes.txt")"
	up "mail-style base64 part, clean" pass mailb64
	{ printf '\211PNG\r\n\032\n\0\0\0\rIHDR'; head -c 20000 /dev/urandom; } > "$T/tmp/photo.png"
	cx_upload "an image upload" pass -F "photo=@$T/tmp/photo.png" "$(si_url /upload)"

	si_wait_log "$T/log/audit.log" '"verdict":"block","rule":"no-executable-uploads"' \
	    "the PE after a text field is blocked by its rule"
	si_wait_log "$T/log/audit.log" 'ambiguous multipart framing: a delimiter after a bare LF' \
	    "the framing differential audited with its reason"
}
