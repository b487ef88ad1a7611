"""Edge layer (API Gateway REST API, custom domain, WAF) of the payments migration."""
