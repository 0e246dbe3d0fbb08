package dashboard_test

import "os"

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "dashboard-test") }
