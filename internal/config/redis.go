package config

import (
	"net"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// redis finds the shared-state Redis, checking in order: router_settings redis_host / redis_url
// (with redis_port, redis_password, redis_db, redis_cluster_nodes); cache_params with type: redis
// in litellm_settings, then router_settings (host, port, password, url, db, startup_nodes for a
// cluster); the environment (REDIS_URL, else REDIS_HOST / REDIS_PORT / REDIS_PASSWORD). nil when
// none is configured. Values are taken as written: a placeholder host is not an error here.
func (l *loader) redis(rs, ls map[string]field, main *file) *Redis {
	if r := l.redisFrom(rs, "router_settings", "redis_"); r != nil {
		return r
	}
	for _, sec := range []struct {
		name string
		m    map[string]field
	}{{"litellm_settings", ls}, {"router_settings", rs}} {
		f, ok := sec.m["cache_params"]
		if !ok {
			continue
		}
		fields, _ := l.mapping(f)
		cp := byKey(fields)
		if t, _ := l.str(get(cp, f, "type")); t != "redis" {
			continue
		}
		if r := l.redisFrom(cp, sec.name+".cache_params", ""); r != nil {
			return r
		}
	}
	return l.redisFromEnv(main)
}

// redisFrom reads host/url/port/password/db/cluster keys (each with prefix) from one place; nil
// when neither a host, a URL nor cluster nodes are given there.
func (l *loader) redisFrom(m map[string]field, source, prefix string) *Redis {
	r := &Redis{Source: source}
	r.Host, _ = l.str(m[prefix+"host"])
	r.URL, _ = l.secret(m[prefix+"url"])
	for _, key := range []string{"redis_cluster_nodes", "startup_nodes", "redis_startup_nodes"} {
		if f, ok := m[key]; ok {
			r.ClusterNodes = append(r.ClusterNodes, l.clusterNodes(f)...)
		}
	}
	if r.Host == "" && r.URL == "" && len(r.ClusterNodes) == 0 {
		return nil
	}
	if f, ok := m[prefix+"port"]; ok {
		r.Port, _ = l.port(f)
	}
	r.Password, _ = l.secret(m[prefix+"password"])
	if f, ok := m[prefix+"db"]; ok {
		r.DB, _ = l.intField(f)
	}
	if r.Host != "" && r.Port == 0 {
		r.Port = defaultRedisPort
	}
	return r
}

// redisFromEnv reads REDIS_URL, else REDIS_HOST / REDIS_PORT / REDIS_PASSWORD.
func (l *loader) redisFromEnv(main *file) *Redis {
	r := &Redis{Source: "environment"}
	if u, ok := l.getenv("REDIS_URL"); ok && u != "" {
		r.URL = Secret(u)
	} else if h, ok := l.getenv("REDIS_HOST"); ok && h != "" {
		r.Host = h
	} else {
		return nil
	}
	if p, ok := l.getenv("REDIS_PORT"); ok && p != "" {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 65535 {
			l.errorf(field{f: main, path: "REDIS_PORT (environment)"}, "expected a port number (1-65535)")
		}
		r.Port = n
	}
	if pw, ok := l.getenv("REDIS_PASSWORD"); ok {
		r.Password = Secret(pw)
	}
	if r.Host != "" && r.Port == 0 {
		r.Port = defaultRedisPort
	}
	return r
}

// port reads a TCP port (1-65535).
func (l *loader) port(fd field) (int, bool) {
	n, ok := l.integer(fd, true)
	if !ok {
		return 0, false
	}
	if n < 1 || n > 65535 {
		l.errorf(fd, "expected a port number (1-65535)")
		return 0, false
	}
	return int(n), true
}

// clusterNodes reads cluster startup nodes: "host:port" strings or {host, port} mappings.
func (l *loader) clusterNodes(fd field) []string {
	items, ok := l.list(fd, `cluster nodes ("host:port" or {host: …, port: …})`)
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		item := fd.item(i, it)
		if deref(it).Kind != yaml.MappingNode {
			if s, ok := l.str(item); ok {
				out = append(out, s)
			}
			continue
		}
		fields, _ := l.mapping(item)
		m := byKey(fields)
		host, _ := l.str(get(m, item, "host"))
		port, ok := l.port(get(m, item, "port"))
		if host == "" || !ok {
			l.errorf(item, "a cluster node needs host and port")
			continue
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	return out
}
