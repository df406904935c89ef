# srv_sslinspect.so: the c-icap service module.
