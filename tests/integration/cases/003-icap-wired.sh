# Decrypted traffic goes through c-icap: a bumped download and upload each
# make one ICAP transaction (RESPMOD and REQMOD) on the configured service,
# and the content passes byte-identical.

case_main()
{
	local got want
	si_start_all
	head -c 300000 /dev/urandom > "$T/www/blob.bin"
	chmod a+r "$T/www/blob.bin"

	si_curl -o "$T/tmp/blob.got" "$(si_url /blob.bin)" || si_fail "download through ICAP failed"
	want=$(sha256sum < "$T/www/blob.bin")
	got=$(sha256sum < "$T/tmp/blob.got")
	si_assert_eq "$got" "$want" "downloaded body byte-identical"

	got=$(si_curl --data-binary @"$T/www/blob.bin" "$(si_url /upload)") ||
	    si_fail "upload through ICAP failed"
	si_assert_eq "$got" "received" "upload answer"

	si_wait_log "$T/log/icap-access.log" "RESPMOD" "c-icap saw the download"
	si_wait_log "$T/log/icap-access.log" "REQMOD" "c-icap saw the upload"
}
