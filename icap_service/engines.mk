# Detection engines: libengines.la (DLP, malware, file type, archives).
