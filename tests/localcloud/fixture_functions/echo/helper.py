NAME = "echo"
