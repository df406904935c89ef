# sslinspect-ca: the CA / CRL admin tool.
