# sslinspect-certgen: Squid sslcrtd_program (see issue "cert_helper: sslinspect-certgen").
