package rescore

import (
	"database/sql"
	"net/url"
)

func sqlOpenRO(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Set("_time_format", "sqlite")
	q.Add("_pragma", "query_only(ON)")
	return sql.Open("sqlite", "file:"+path+"?"+q.Encode())
}
