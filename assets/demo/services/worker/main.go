// Demo worker: polls the api and exposes /health. Standard library only.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	api := os.Getenv("API_URL")
	if api == "" {
		api = "http://api:3000"
	}
	go func() {
		for {
			if resp, err := http.Get(api + "/health"); err == nil {
				resp.Body.Close()
			}
			time.Sleep(30 * time.Second)
		}
	}()
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Println("worker listening on :8082")
	log.Fatal(http.ListenAndServe(":8082", nil))
}
